"""Queue progression: one ticket's clinic day, station after station (see the ASL's Comment)."""

from pathlib import Path

from workflows.declaration import Task, Workflow

TASKS = "lambdas.tasks.queue_progression"

WORKFLOW = Workflow(
    name="queue-progression",
    entity="ticket",
    asl_path=Path(__file__).with_name("queue_progression.asl.json"),
    tasks={
        "EnterStation": Task(f"{TASKS}.enter_station"),
        "AwaitTicket": Task(f"{TASKS}.await_ticket"),
        "MissCall": Task(f"{TASKS}.miss_call"),
        "ExpireTicket": Task(f"{TASKS}.expire_ticket"),
    },
)
