"""What ops need: a policy to find, redrive and stop executions, a dashboard, and alarms that page."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constructs.functions import metrics_namespace
from infra.constructs.workflows import acknowledge_executions, execution_arns
from infra.nag import acknowledge
from infra.settings import StageSettings
from lambdas.shared.observability import FAILED_NOTIFICATIONS, FAILED_SIGNALS, UNEXPECTED_ERRORS

PERIOD = Duration.minutes(5)


def counted(
    settings: StageSettings, function: lambda_.Function, metric_name: str, label: str | None = None
) -> cloudwatch.Metric:
    """A metric ``function`` counts itself (``lambdas.shared.observability``): errors nobody planned,
    messages given up on. Powertools names the service dimension after the function."""
    return cloudwatch.Metric(
        namespace=metrics_namespace(settings),
        metric_name=metric_name,
        dimensions_map={"service": function.function_name},
        statistic="Sum",
        period=PERIOD,
        label=label,
    )


def any_function(settings: StageSettings, metric_name: str) -> cloudwatch.MathExpression:
    """The sum of what every function of the stage counts (a Metrics Insights query), per function
    on the dashboard."""
    return cloudwatch.MathExpression(
        expression=f'SELECT SUM({metric_name}) FROM SCHEMA("{metrics_namespace(settings)}", service)',  # noqa: S608
        using_metrics={},
        period=PERIOD,
        label=f"{metric_name}, any function",
    )


class Ops(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        state_machines: dict[str, sfn.StateMachine],
        state_machine_names: dict[str, str],
        tasks: list[lambda_.Function],
        others: list[lambda_.Function],
        dispatcher: lambda_.Function,
        cluster: rds.DatabaseCluster,
    ) -> None:
        """``tasks``: the workflows' functions, whose business outcomes are errors to Lambda (the
        workflows catch them by name): what pages for them is an error nobody planned, counted by
        the function itself. ``others``' every error pages."""
        super().__init__(scope, construct_id)
        self.policy = self._operator_policy(settings, state_machines, state_machine_names)
        key = kms.Key(  # it encrypts alarms in flight, nothing kept: it goes with the stack
            self,
            "AlarmsKey",
            enable_key_rotation=True,
            description="Encrypts the alarm topic",
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.topic = sns.Topic(
            self, "Alarms", topic_name=f"fondation-{settings.name}-alarms", master_key=key, enforce_ssl=True
        )
        key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        if settings.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        for name, machine in state_machines.items():
            self._alarm(f"{name}-failed", machine.metric_failed(period=PERIOD), settings.failed_executions_alarm)
            self._alarm(f"{name}-timed-out", machine.metric_timed_out(period=PERIOD), 1)
        # one alarm for every function of the stage, today's and those a new workflow brings
        self._alarm("unexpected-errors", any_function(settings, UNEXPECTED_ERRORS), settings.lambda_errors_alarm)
        for function in others:
            self._alarm(
                f"{function.node.id}-errors", function.metric_errors(period=PERIOD), settings.lambda_errors_alarm
            )
        self._alarm(
            "notifications-failed",
            counted(settings, dispatcher, FAILED_NOTIFICATIONS),
            settings.failed_notifications_alarm,
        )
        # a signal given up on leaves a workflow waiting, or an entity without its execution: ops look at once
        self._alarm("workflow-signals-failed", counted(settings, dispatcher, FAILED_SIGNALS), 1)
        self.dashboard = self._dashboard(settings, state_machines, [*tasks, *others], cluster)

    def _operator_policy(
        self, settings: StageSettings, machines: dict[str, sfn.StateMachine], names: dict[str, str]
    ) -> iam.ManagedPolicy:
        executions = [execution_arns(self, name) for name in names.values()]
        policy = iam.ManagedPolicy(
            self,
            "Operator",
            managed_policy_name=f"fondation-{settings.name}-ops",
            description="Ops: list, read, redrive and stop this stage's workflow executions, nothing else",
            statements=[
                iam.PolicyStatement(
                    sid="ReadStateMachines",
                    actions=["states:DescribeStateMachine", "states:ListExecutions"],
                    resources=[machine.state_machine_arn for machine in machines.values()],
                ),
                iam.PolicyStatement(
                    sid="OperateExecutions",
                    actions=[
                        "states:DescribeExecution",
                        "states:GetExecutionHistory",
                        "states:RedriveExecution",
                        "states:StopExecution",
                    ],
                    resources=executions,
                ),
                iam.PolicyStatement(sid="FindStateMachines", actions=["states:ListStateMachines"], resources=["*"]),
            ],
        )
        for name in names.values():
            acknowledge_executions(policy, name)
        acknowledge(policy, "AwsSolutions-IAM5[Resource::*]", "states:ListStateMachines accepts no resource but '*'")
        return policy

    def _alarm(self, name: str, metric: cloudwatch.Metric | cloudwatch.MathExpression, threshold: int) -> None:
        alarm = metric.create_alarm(
            self,
            name,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{name}: at least {threshold} in 5 minutes",
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    def _dashboard(
        self,
        settings: StageSettings,
        machines: dict[str, sfn.StateMachine],
        functions: list[lambda_.Function],
        cluster: rds.DatabaseCluster,
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"fondation-{settings.name}")
        for name, machine in machines.items():
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"{name}: executions",
                    width=24,
                    left=[
                        machine.metric_started(period=PERIOD, label="started"),
                        machine.metric_succeeded(period=PERIOD, label="succeeded"),
                        machine.metric_failed(period=PERIOD, label="failed"),
                        machine.metric_timed_out(period=PERIOD, label="timed out"),
                    ],
                )
            )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Unexpected errors",
                width=12,
                left=[counted(settings, fn, UNEXPECTED_ERRORS, label=fn.node.id) for fn in functions],
            ),
            cloudwatch.GraphWidget(
                title="Lambda errors (a task's include the business outcomes its workflow catches)",
                width=12,
                left=[fn.metric_errors(period=PERIOD, label=fn.node.id) for fn in functions],
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Lambda duration (p90)",
                width=12,
                left=[fn.metric_duration(period=PERIOD, statistic="p90", label=fn.node.id) for fn in functions],
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Database capacity (ACU)",
                width=24,
                left=[
                    cluster.metric("ServerlessDatabaseCapacity", period=PERIOD, statistic="Maximum"),
                    cluster.metric("ACUUtilization", period=PERIOD, statistic="Maximum", label="ACU utilisation %"),
                ],
            )
        )
        return dashboard
