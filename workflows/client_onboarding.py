"""Client onboarding: from a front-desk POST /clients to an active client (see the ASL's Comment)."""

from pathlib import Path

from workflows.declaration import Task, Workflow

TASKS = "lambdas.tasks.client_onboarding"
ERASED = "ClientErased"  # every step opens the client, and an erasure answers a wait with it

WORKFLOW = Workflow(
    name="client-onboarding",
    entity="client",
    asl_path=Path(__file__).with_name("client_onboarding.asl.json"),
    tasks={
        "FindDuplicates": Task(f"{TASKS}.find_duplicates", raises=("SuspectedDuplicate", ERASED)),
        "AwaitDecision": Task(f"{TASKS}.await_decision", raises=(ERASED,)),
        "MergeIntoExisting": Task(f"{TASKS}.merge_into_existing", raises=(ERASED,)),
        "CloseApplication": Task(f"{TASKS}.close_application", raises=(ERASED,)),
        "RegisterClient": Task(f"{TASKS}.register_client", raises=(ERASED,)),
        "CheckEligibility": Task(f"{TASKS}.check_eligibility", raises=(ERASED,)),
        "ActivateClient": Task(f"{TASKS}.activate_client", raises=(ERASED,)),
    },
)
