"""The mutation runner's planted bugs still fit the code: each finds its text exactly once, and names
tests that exist. A rewrite that moves a rule leaves its mutation to be updated here, not skipped."""

from pathlib import Path

import pytest

from tests.mutants import MUTATIONS, REPO_ROOT


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[mutation.name for mutation in MUTATIONS])
def test_each_mutation_finds_its_text_once_and_names_existing_tests(mutation) -> None:
    source = (REPO_ROOT / mutation.path).read_text()
    assert source.count(mutation.find) == 1, f"{mutation.path} no longer holds the text {mutation.name} replaces"
    assert mutation.replace != mutation.find
    for test in mutation.tests:
        assert (REPO_ROOT / test).is_file(), test


def test_mutation_names_are_unique() -> None:
    names = [mutation.name for mutation in MUTATIONS]
    assert len(names) == len(set(names))
    assert all(Path(mutation.path).suffix == ".py" for mutation in MUTATIONS)
