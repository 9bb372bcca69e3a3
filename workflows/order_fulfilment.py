"""Order fulfilment: one pair of glasses, from a validated prescription to pickup (see the ASL's Comment)."""

from pathlib import Path

from workflows.declaration import Task, Workflow

TASKS = "lambdas.tasks.order_fulfilment"
READS = ("orders",)  # the stage's parameters: the lab's time, the pickup reminders

WORKFLOW = Workflow(
    name="order-fulfilment",
    entity="order",
    asl_path=Path(__file__).with_name("order_fulfilment.asl.json"),
    tasks={
        "ReserveFrame": Task(f"{TASKS}.reserve_frame", parameters=READS),
        "AwaitOrder": Task(f"{TASKS}.await_order"),
        "SubmitToLab": Task(f"{TASKS}.submit_to_lab", parameters=READS),
        "OrderTimedOut": Task(f"{TASKS}.order_timed_out", parameters=READS),
    },
)
