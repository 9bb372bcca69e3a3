from pathlib import Path

from workflows import Workflow

WORKFLOW = Workflow(
    name="bench-twenty-pass",
    entity="run",
    asl_path=Path(__file__).with_name("twenty_pass.asl.json"),
    tasks={},
)
