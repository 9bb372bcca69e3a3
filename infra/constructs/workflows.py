"""One Standard state machine per workflow declaration, its placeholders bound to its functions."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.functions import Functions
from infra.nag import acknowledge
from infra.settings import StageSettings
from workflows import Workflow


def execution_arns(scope: Construct, state_machine_name: str) -> str:
    """Every execution of one state machine: they are created at run time, so they are named by pattern."""
    return Stack.of(scope).format_arn(
        service="states",
        resource="execution",
        resource_name=f"{state_machine_name}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def state_machine_arn(scope: Construct, state_machine_name: str) -> str:
    """A state machine's ARN from its name: a function the state machine itself depends on (through
    its tasks) names it so, without a reference that would make the two depend on each other."""
    return Stack.of(scope).format_arn(
        service="states",
        resource="stateMachine",
        resource_name=state_machine_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def acknowledge_executions(scope: Construct, state_machine_name: str) -> None:
    stack = Stack.of(scope)
    acknowledge(
        scope,
        f"AwsSolutions-IAM5[Resource::arn:aws:states:{stack.region}:<AWS::AccountId>:execution:{state_machine_name}:*]",
        f"the executions of {state_machine_name} only; execution names are made at run time",
    )


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        functions: Functions,
        workflows: list[Workflow],
    ) -> None:
        super().__init__(scope, construct_id)
        self.state_machines: dict[str, sfn.StateMachine] = {}
        self.names: dict[str, str] = {}
        for workflow in workflows:
            name = f"fondation-{settings.name}-{workflow.name}"
            tasks = {task.placeholder: task.function for task in functions.tasks if task.workflow is workflow}
            role = iam.Role(
                self,
                f"{workflow.name}Role",
                assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                description=f"{name}: invoke its own functions, nothing else",
            )
            log_group = logs.LogGroup(
                self,
                f"{workflow.name}Logs",
                log_group_name=f"/aws/vendedlogs/states/{name}",
                retention=settings.log_retention,
                removal_policy=settings.data_removal_policy,
            )
            machine = sfn.StateMachine(
                self,
                workflow.name,
                state_machine_name=name,
                state_machine_type=sfn.StateMachineType.STANDARD,
                # from_string keeps the definition in the template, where cfn-lint can check it
                definition_body=sfn.DefinitionBody.from_string(workflow.asl_text()),
                definition_substitutions={placeholder: fn.function_arn for placeholder, fn in tasks.items()},
                role=role,
                logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ERROR, include_execution_data=False),
                tracing_enabled=True,
            )
            # exactly its functions (grant_invoke would add every version and alias, ARN:*)
            machine.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[fn.function_arn for fn in tasks.values()]
                )
            )
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and X-Ray accept no resource but '*'",
            )
            acknowledge(
                machine,
                "AwsSolutions-SF1",
                "logging is ERROR without execution data on purpose: inputs and outputs stay out of the logs, and "
                "the full history is in Step Functions itself",
            )
            self.state_machines[workflow.name] = machine
            self.names[workflow.name] = name
