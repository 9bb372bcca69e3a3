"""Client onboarding: from a front-desk POST /clients to an active client (see the ASL's Comment)."""

from pathlib import Path

from workflows.declaration import Task, Workflow

TASKS = "lambdas.tasks.client_onboarding"

WORKFLOW = Workflow(
    name="client-onboarding",
    entity="client",
    asl_path=Path(__file__).with_name("client_onboarding.asl.json"),
    tasks={
        "FindDuplicates": Task(f"{TASKS}.find_duplicates"),
        "AwaitDecision": Task(f"{TASKS}.await_decision"),
        "MergeIntoExisting": Task(f"{TASKS}.merge_into_existing"),
        "CloseApplication": Task(f"{TASKS}.close_application"),
        "RegisterClient": Task(f"{TASKS}.register_client"),
        "CheckEligibility": Task(f"{TASKS}.check_eligibility"),
        "ActivateClient": Task(f"{TASKS}.activate_client"),
    },
)
