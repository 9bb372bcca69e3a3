"""Every Lambda function: one per task declared in ``workflows/``, the API, the migrations.

All share one code asset and one dependency layer; each has its own log group and its own role,
which gets only what that function uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from aws_cdk import ArnFormat, Duration, RemovalPolicy, SecretValue, Stack, triggers
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.database import READONLY_USER, Database
from infra.constructs.network import Network
from infra.constructs.parameters import Parameters
from infra.nag import acknowledge
from infra.packaging import CA_BUNDLE_IN_ASSET, code_directory, layer_directory
from infra.settings import StageSettings
from workflows import Workflow

RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.ARM_64


def metrics_namespace(settings: StageSettings) -> str:
    """Where the functions count their own metrics: a stage's, so that one query sums a stage's functions."""
    return f"Fondation/{settings.name}"


# The parameter groups each function reads (lambdas/shared/parameters.py); a task's are in its declaration.
API_READS = ("intake", "queue", "orders")  # phones typed at the desk, a new site's grace, order rules
MIGRATIONS_READ = ("intake",)  # migration 0003 reads phones
DISPATCHER_READS = ("notifications",)
MIGRATIONS_TIMEOUT_SECONDS = 300
# What Lambda needs to attach a function to the VPC (AWSLambdaVPCAccessExecutionRole, minus logs)
NETWORK_INTERFACE_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]


@dataclass(frozen=True)
class TaskFunction:
    workflow: Workflow
    placeholder: str
    function: lambda_.Function


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        network: Network,
        database: Database,
        parameters: Parameters,
        workflows: list[Workflow],
    ) -> None:
        super().__init__(scope, construct_id)
        self._settings, self._network, self._database = settings, network, database
        # One log group for all the stage's functions (Lambda names each stream after its function):
        # one retention, one place to search, and one resource less for each function.
        self._log_group_name = f"/fondation/{settings.name}/functions"
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=self._log_group_name,
            retention=settings.log_retention,
            removal_policy=settings.data_removal_policy,
        )
        self._code = lambda_.Code.from_asset(str(code_directory()))
        self._tls = {"DB_CA_BUNDLE": f"/var/task/{CA_BUNDLE_IN_ASSET}"}
        self._layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(layer_directory())),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="requirements.txt for Python 3.11 on arm64, compiled",
        )
        acknowledge(
            self,
            "AwsSolutions-L1",
            "Python 3.11 is the project's runtime: the layer's wheels and the local runtime are 3.11; moving to a "
            "newer runtime is its own change",
        )
        self.tasks: list[TaskFunction] = []
        for workflow in workflows:
            for placeholder, task in workflow.tasks.items():
                name = workflow.function_name(placeholder)
                function = self.function(
                    construct_id=f"{workflow.name}-{placeholder}",
                    name=name,
                    handler=task.handler,
                    timeout=task.timeout_seconds,
                    memory=task.memory_mb,
                    description=f"{workflow.name}: {placeholder}",
                )
                database.grant_connect(function)
                parameters.grant_read(function, task.parameters)
                self.tasks.append(TaskFunction(workflow, placeholder, function))
        self.api = self.function(
            construct_id="Api",
            name="api",
            handler="lambdas.api.app.handler",
            timeout=29,
            memory=512,
            description="The REST API",
        )
        database.grant_connect(self.api)
        parameters.grant_read(self.api, API_READS)
        self.migrations = self.function(
            construct_id="Migrations",
            name="migrations",
            handler="lambdas.migrations.handler.handler",
            timeout=MIGRATIONS_TIMEOUT_SECONDS,
            memory=512,
            description="Alembic migrations, run when a deploy ships new code",
            environment={
                "DB_ADMIN_SECRET_ARN": database.secret.secret_arn,  # type: ignore[union-attr]
                "DB_READONLY_USER": READONLY_USER,
            },
        )
        database.secret.grant_read(self.migrations)  # type: ignore[union-attr]
        parameters.grant_read(self.migrations, MIGRATIONS_READ)
        self.dispatcher = self._dispatcher(settings)
        database.grant_connect(self.dispatcher)
        parameters.grant_read(self.dispatcher, DISPATCHER_READS)
        # Run on every deploy that ships new code: after all a migration touches (the cluster and its
        # secret, the parameters, the endpoints and the security-group rules that reach them), and
        # before every function that reads the schema, so new code never meets the old schema.
        triggers.Trigger(
            self,
            "MigrationsTrigger",
            handler=self.migrations,
            execute_on_handler_change=True,
            timeout=Duration.seconds(MIGRATIONS_TIMEOUT_SECONDS),  # CDK's 2 minutes would give up on it
            execute_after=[database, parameters, network],
            execute_before=[self.api, self.dispatcher, *(task.function for task in self.tasks)],
        )
        for queuing in [self.api, *(task.function for task in self.tasks)]:  # what queues a message nudges it
            queuing.add_environment("DISPATCHER_FUNCTION", self.dispatcher.function_name)
            queuing.add_to_role_policy(  # the function itself: not its versions (grant_invoke's "arn:*")
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.dispatcher.function_arn])
            )

    def _dispatcher(self, settings: StageSettings) -> lambda_.Function:
        """Delivers the outbox every minute, and when a function that queued a message invokes it."""
        mail = self._network.add_smtp_endpoint()  # port 587 to SES's endpoint: the dispatcher's alone
        dispatcher = self.function(
            construct_id="Dispatcher",
            name="dispatcher",
            handler="lambdas.dispatcher.handler.handler",
            timeout=300,  # runs overlap safely: each claims its own rows
            memory=256,
            description="Delivers the notifications outbox: SMS through SNS, e-mail through SES",
            security_groups=[mail],
        )
        stack = Stack.of(self)
        self._smtp(dispatcher, settings)
        # An SMS to a phone number has no resource ARN: Publish is allowed on "*", and denied on every
        # topic, so the function can text people and nothing else. A policy of its own, for its own reason.
        texts = iam.Policy(
            self,
            "DispatcherTextMessages",
            statements=[
                iam.PolicyStatement(sid="TextPeople", actions=["sns:Publish"], resources=["*"]),
                iam.PolicyStatement(
                    sid="NoTopic",
                    effect=iam.Effect.DENY,
                    actions=["sns:Publish"],
                    resources=[f"arn:{stack.partition}:sns:*:*:*"],
                ),
            ],
        )
        texts.attach_to_role(dispatcher.role)  # type: ignore[arg-type]
        acknowledge(
            texts,
            "AwsSolutions-IAM5[Resource::*]",
            "sns:Publish to a phone number takes no resource but '*'; publishing to any topic is denied beside it",
        )
        schedule_role = iam.Role(
            self,
            "DispatchScheduleRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
            description="EventBridge Scheduler: invoke the dispatcher, nothing else",
        )
        dispatcher_resource = cast(
            lambda_.CfnFunction, dispatcher.node.default_child
        )  # a Function's is its CfnFunction
        acknowledge(
            schedule_role,
            f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(dispatcher_resource)}.Arn>:*]",
            "the scheduler target's grant names the dispatcher function and its versions; nothing else",
        )
        # a run missed is no loss: the next one, a minute later, delivers the same rows; retrying an old
        # one (185 times over 24 h by default) would only pile runs up behind an outage
        target = scheduler_targets.LambdaInvoke(
            dispatcher,
            input=scheduler.ScheduleTargetInput.from_object({}),
            role=schedule_role,
            retry_attempts=0,
            max_event_age=Duration.minutes(1),
        )
        scheduler.Schedule(
            self,
            "DispatchEveryMinute",
            schedule=scheduler.ScheduleExpression.rate(Duration.minutes(1)),
            target=target,
            description="Deliver what the outbox holds, even when no function invoked the dispatcher",
        )
        return dispatcher

    def _smtp(self, dispatcher: lambda_.Function, settings: StageSettings) -> None:
        """E-mail leaves through SES's SMTP interface, the one with a VPC endpoint: an IAM user that may
        only send raw e-mail from the stage's domain (from its sender, or another address of the domain:
        the sender is a parameter), its access key in Secrets Manager for the dispatcher alone (it
        derives the SMTP password from it)."""
        sender = settings.notifications.email_sender
        domain = sender.rpartition("@")[2]
        identities = [
            Stack.of(self).format_arn(service="ses", resource="identity", resource_name=name)
            for name in (sender, domain)
        ]
        user = iam.User(self, "SesSmtpUser")
        user.add_to_policy(
            iam.PolicyStatement(
                actions=["ses:SendRawEmail"],
                resources=identities,
                conditions={"StringLike": {"ses:FromAddress": f"*@{domain}"}},
            )
        )
        key = iam.AccessKey(self, "SesSmtpKey", user=user)
        secret = secretsmanager.Secret(
            self,
            "SesSmtpCredentials",
            description=f"fondation-{settings.name}: the SES SMTP user's access key (the dispatcher's e-mail)",
            secret_object_value={
                "AccessKeyId": SecretValue.unsafe_plain_text(key.access_key_id),
                "SecretAccessKey": key.secret_access_key,
            },
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "an IAM access key: rotated by replacing the AccessKey resource and deploying (SES derives the SMTP "
            "password from it), not by a rotation Lambda",
        )
        secret.grant_read(dispatcher)
        dispatcher.add_environment("SMTP_SECRET_ARN", secret.secret_arn)

    def function(
        self,
        *,
        construct_id: str,
        name: str,
        handler: str,
        timeout: int,
        memory: int,
        description: str,
        environment: dict[str, str] | None = None,
        security_groups: list[ec2.ISecurityGroup] | None = None,
    ) -> lambda_.Function:
        """The one way a function is made here: the stage's log group, own role, in the VPC, traced."""
        full_name = f"fondation-{self._settings.name}-{name}"
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{full_name}: the functions' log group, its VPC network interfaces, what it calls",
        )
        # its own streams in the shared group, no other function's: Lambda names them
        # <date>/<function>[<version>]<id>
        streams = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{self._log_group_name}:log-stream:*/{full_name}[*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[streams])
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{streams.replace(Stack.of(self).account, '<AWS::AccountId>')}]",
            "its own log streams in the stage's log group: their names begin with the day Lambda opens them",
        )
        role.add_to_policy(iam.PolicyStatement(actions=NETWORK_INTERFACE_ACTIONS, resources=["*"]))
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "EC2 network-interface actions (a function in a VPC) and X-Ray's PutTraceSegments/PutTelemetryRecords "
            "accept no resource but '*'",
        )
        options: dict[str, Any] = {
            "function_name": full_name,
            "runtime": RUNTIME,
            "architecture": ARCHITECTURE,
            "handler": handler,
            "code": self._code,
            "layers": [self._layer],
            "timeout": Duration.seconds(timeout),
            "memory_size": memory,
            "description": description,
            "role": role,
            "log_group": self.log_group,
            "tracing": lambda_.Tracing.ACTIVE,
            "vpc": self._network.vpc,
            "vpc_subnets": self._network.subnets,
            "security_groups": [self._network.functions_security_group, *(security_groups or [])],
            "environment": {
                "POWERTOOLS_SERVICE_NAME": full_name,
                "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace(self._settings),
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **self._database.environment(),
                **self._tls,
                **(environment or {}),
            },
        }
        return lambda_.Function(self, construct_id, **options)
