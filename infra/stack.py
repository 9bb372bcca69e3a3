"""One stack per stage, composed of one construct per capability."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack, Tags
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.api import Api
from infra.constructs.auth import Auth
from infra.constructs.bastion import Bastion
from infra.constructs.console import Console
from infra.constructs.database import Database
from infra.constructs.functions import Functions
from infra.constructs.network import Network
from infra.constructs.ops import Ops
from infra.constructs.parameters import Parameters
from infra.constructs.workflows import Workflows, acknowledge_executions, execution_arns, state_machine_arn
from infra.settings import StageSettings
from lambdas.shared.config import state_machine_variable
from workflows import Workflow

API_READS_STATE_MACHINES = ["states:ListExecutions"]
DISPATCHER_RELAYS = [
    "states:StartExecution",
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:SendTaskHeartbeat",
]
API_READS_EXECUTIONS = ["states:DescribeExecution", "states:GetExecutionHistory"]
API_OPERATES_EXECUTIONS = ["states:RedriveExecution", "states:StopExecution"]


class FondationStack(Stack):
    def __init__(self, scope: Construct, settings: StageSettings, workflows: list[Workflow]) -> None:
        super().__init__(
            scope,
            f"Fondation-{settings.name}",
            env=Environment(region=settings.region),
            description=f"Fondation backend ({settings.name}): workflows, functions, database, API",
            termination_protection=settings.deletion_protection,
        )
        Tags.of(self).add("project", "fondation")
        Tags.of(self).add("stage", settings.name)
        network = Network(self, "Network", settings=settings)
        database = Database(self, "Database", settings=settings, network=network)
        if settings.bastion:
            Bastion(self, "Bastion", settings=settings, network=network, database=database)
        auth = Auth(self, "Auth", settings=settings)
        parameters = Parameters(self, "Parameters", settings=settings)
        functions = Functions(
            self,
            "Functions",
            settings=settings,
            network=network,
            database=database,
            parameters=parameters,
            workflows=workflows,
        )
        flows = Workflows(self, "Workflows", settings=settings, functions=functions, workflows=workflows)
        declared = {workflow.name: workflow for workflow in workflows}
        for name, machine in flows.state_machines.items():
            # the API starts executions and answers their callbacks; it reads them for managers and
            # ops, and redrives or stops one for ops (its routes check the group) or an erasure
            functions.api.add_environment(state_machine_variable(name), machine.state_machine_arn)
            machine.grant_start_execution(functions.api)
            machine.grant_task_response(functions.api)
            functions.api.add_to_role_policy(
                iam.PolicyStatement(actions=API_READS_STATE_MACHINES, resources=[machine.state_machine_arn])
            )
            functions.api.add_to_role_policy(
                iam.PolicyStatement(
                    actions=[*API_READS_EXECUTIONS, *API_OPERATES_EXECUTIONS],
                    resources=[execution_arns(self, flows.names[name])],
                )
            )
            acknowledge_executions(functions.api.role, flows.names[name])  # type: ignore[arg-type]
            # the dispatcher relays the signals the API could not deliver: starts and answers, nothing else
            # (named, not referenced: the state machines' tasks queue messages that nudge the dispatcher)
            named = state_machine_arn(self, flows.names[name])
            functions.dispatcher.add_environment(state_machine_variable(name), named)
            functions.dispatcher.add_to_role_policy(iam.PolicyStatement(actions=DISPATCHER_RELAYS, resources=[named]))
            # a task that finds its wait answered already answers it itself (named too: the machine invokes it)
            waiting = declared[name].waiting_tasks()
            for task in functions.tasks:
                if task.workflow.name == name and task.placeholder in waiting:
                    task.function.add_to_role_policy(
                        iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=[named])
                    )
        api = Api(self, "Api", settings=settings, handler=functions.api, user_pool=auth.user_pool)
        console = Console(self, "Console", settings=settings, auth=auth, api=api.rest_api)
        ops = Ops(
            self,
            "Ops",
            settings=settings,
            state_machines=flows.state_machines,
            state_machine_names=flows.names,
            tasks=[task.function for task in functions.tasks],
            others=[functions.api, functions.migrations, functions.dispatcher],
            dispatcher=functions.dispatcher,
            cluster=database.cluster,
        )
        CfnOutput(self, "ApiUrl", value=api.rest_api.url)
        CfnOutput(self, "ConsoleUrl", value=console.url)
        CfnOutput(self, "UserPoolId", value=auth.user_pool.user_pool_id)
        CfnOutput(self, "FrontEndClientId", value=auth.front_end.user_pool_client_id)
        CfnOutput(self, "OpsPolicyArn", value=ops.policy.managed_policy_arn)
        CfnOutput(self, "AlarmTopicArn", value=ops.topic.topic_arn)
        CfnOutput(self, "MigrationsFunction", value=functions.migrations.function_name)
