from pathlib import Path

from workflows import Task, Workflow

WORKFLOW = Workflow(
    name="bench-six-states-jsonpath",
    entity="run",
    asl_path=Path(__file__).with_name("six_states_jsonpath.asl.json"),
    tasks={"Trivial": Task("benchmarks.engine_workflows.handlers.trivial")},
)
