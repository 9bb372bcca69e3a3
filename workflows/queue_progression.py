"""Queue progression: one ticket's clinic day, station after station (see the ASL's Comment)."""

from pathlib import Path

from workflows.declaration import Task, Workflow

TASKS = "lambdas.tasks.queue_progression"
ENDED = "TicketEnded"  # a ticket whose day staff ended ends whichever step finds it: ReadOutcome says how

WORKFLOW = Workflow(
    name="queue-progression",
    entity="ticket",
    asl_path=Path(__file__).with_name("queue_progression.asl.json"),
    tasks={
        "EnterStation": Task(f"{TASKS}.enter_station", raises=(ENDED,)),
        "AwaitTicket": Task(f"{TASKS}.await_ticket", raises=(ENDED,)),
        "MissCall": Task(f"{TASKS}.miss_call", raises=(ENDED,)),
        "ExpireTicket": Task(f"{TASKS}.expire_ticket", raises=(ENDED,)),
        "ReadOutcome": Task(f"{TASKS}.read_outcome"),
    },
)
