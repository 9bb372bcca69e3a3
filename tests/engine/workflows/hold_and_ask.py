from pathlib import Path

from workflows import Task, Workflow

WORKFLOW = Workflow(
    name="engine-hold-and-ask",
    entity="run",
    asl_path=Path(__file__).with_name("hold_and_ask.asl.json"),
    tasks={"Ask": Task("tests.engine.handlers.remember_token", timeout_seconds=10)},
)
