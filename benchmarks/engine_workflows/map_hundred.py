from pathlib import Path

from workflows import Task, Workflow

WORKFLOW = Workflow(
    name="bench-map-hundred",
    entity="run",
    asl_path=Path(__file__).with_name("map_hundred.asl.json"),
    tasks={"Trivial": Task("benchmarks.engine_workflows.handlers.trivial")},
)
