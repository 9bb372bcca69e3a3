"""Synthesise the CDK app once per test session: both stages, with every declared workflow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.app import build_app


@dataclass
class Synthesised:
    templates: dict[str, dict[str, Any]]  # stage → CloudFormation template
    outdir: Path
    acknowledgments: dict[str, dict[str, str]]  # construct path → {rule: reason}

    def resources(self, stage: str, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stage]["Resources"].items()
            if resource["Type"] == resource_type
        }


def synthesise(outdir: Path, **options: Any) -> Synthesised:
    """Synthesise (the AWS Solutions checks run, and fail the synth on an unacknowledged finding)."""
    app = build_app(outdir=str(outdir), **options)
    assembly = app.synth()
    templates = {stack.stack_name.split("-", 1)[1]: stack.template for stack in assembly.stacks}
    acknowledgments = {
        construct.node.path: entry.data
        for construct in app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
    }
    return Synthesised(templates, outdir, acknowledgments)


@pytest.fixture(scope="session")
def synthesised(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return synthesise(tmp_path_factory.mktemp("cdk.out"))
