from pathlib import Path

from workflows import Workflow

WORKFLOW = Workflow(
    name="bench-choice-loop",
    entity="run",
    asl_path=Path(__file__).with_name("choice_loop.asl.json"),
    tasks={},
)
