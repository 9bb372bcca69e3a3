"""local/sfn/README.md says what the engine runs and refuses: it names what the code accepts, and only
files that are in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local.sfn import asl, jsonpath_states
from local.sfn.expressions import AWS_FUNCTIONS
from local.sfn.service import StepFunctionsService

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGINE_README = REPO_ROOT / "local" / "sfn" / "README.md"
TEXT = ENGINE_README.read_text()


def _named(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def _row(first_cell: str) -> str:
    return next(line for line in TEXT.splitlines() if line.startswith(f"| {first_cell}"))


@pytest.mark.parametrize("state_type", sorted(asl.STATE_FIELDS))
def test_each_state_type_is_described_with_every_field_it_accepts(state_type: str) -> None:
    row = _row(f"`{state_type}`")
    named = {name for cell in _named(row) for name in cell.split("/")}  # `Next`/`End`
    assert asl.STATE_FIELDS[state_type] <= named


def test_every_operation_the_service_serves_is_listed() -> None:
    operations = [name for name, member in vars(StepFunctionsService).items() if hasattr(member, "members")]
    assert len(operations) == 13
    api = TEXT[TEXT.index("## The JSON API") :]
    assert set(operations) <= _named(api)


def test_what_is_refused_at_load_time_is_listed() -> None:
    refused = _named(TEXT[TEXT.index("## Refused when a definition is loaded") :])
    assert set(asl.UNSUPPORTED_FIELDS) <= refused
    assert refused >= jsonpath_states.JSONATA_ONLY  # in a JSONPath state


@pytest.mark.parametrize("state_type", sorted(jsonpath_states.FIELDS))
def test_each_jsonpath_state_type_is_described_with_every_field_it_accepts(state_type: str) -> None:
    section = TEXT[TEXT.index("## JSONPath") : TEXT.index("## JSONata")]
    row = next(line for line in section.splitlines() if line.startswith(f"| `{state_type}`"))
    named = set()
    for cell in _named(row):  # `MaxConcurrency(Path)` names both
        named |= {cell.removesuffix("(Path)"), cell.replace("(Path)", "Path")}
    assert jsonpath_states.FIELDS[state_type] - {"Next", "End"} <= named


def test_the_functions_step_functions_adds_to_jsonata_are_listed() -> None:
    for name in AWS_FUNCTIONS:
        assert f"`${name}(" in TEXT


def test_every_link_and_path_named_is_in_the_repository() -> None:
    for target in re.findall(r"\]\(([^)]+)\)", TEXT):
        assert not target.startswith(("http", "/", "..")), f"links outside the repository: {target}"
        assert (ENGINE_README.parent / target).exists(), f"links to a missing {target}"
    for path in re.findall(r"`((?:local|tests|workflows)/[\w/.]+)`", TEXT):
        assert (REPO_ROOT / path).exists(), path
    for module in re.findall(r"`(\w+\.py)`", _section("| module")):
        assert (ENGINE_README.parent / module).exists(), module


def test_the_project_readme_points_to_this_document_not_outside_the_repository() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "../shared" not in readme
    assert "(local/sfn/README.md)" in readme


def _section(header: str) -> str:
    start = TEXT.index(header)
    return TEXT[start : TEXT.index("\n\n", start)]
