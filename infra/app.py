"""The CDK app: ``cdk synth -c stage=dev`` with the CDK CLI, or ``python -m infra.app [stage ...]``.

Without a stage both are synthesised. The feature flags of ``cdk.json`` are loaded here too, so the
templates tests check are the ones ``cdk deploy`` ships.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.settings import STAGES, stage_settings
from infra.stack import FondationStack
from workflows import Workflow, all_workflows

REPO = Path(__file__).resolve().parent.parent


def cdk_json_context() -> dict:
    return json.loads((REPO / "cdk.json").read_text())["context"]


def build_app(
    stages: list[str] | None = None, workflows: list[Workflow] | None = None, outdir: str | None = None
) -> App:
    """The app with one stack per stage; ``workflows`` defaults to every declared workflow."""
    app = App(context=cdk_json_context(), outdir=outdir)
    # AWS Solutions checks run at every synth; a finding without a written acknowledgment fails it
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    requested = stages or ([app.node.try_get_context("stage")] if app.node.try_get_context("stage") else None)
    declared = all_workflows() if workflows is None else workflows
    for stage in requested or list(STAGES):
        FondationStack(app, stage_settings(stage), declared)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.app", description=__doc__)
    parser.add_argument("stages", nargs="*", choices=[[], *STAGES], help="stages to synthesise (default: all)")
    args = parser.parse_args(argv)
    outdir = None if os.environ.get("CDK_OUTDIR") else str(REPO / "cdk.out")  # the CDK CLI chooses its own
    build_app(args.stages or None, outdir=outdir).synth()


if __name__ == "__main__":
    main(sys.argv[1:])
