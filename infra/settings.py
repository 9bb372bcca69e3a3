"""Everything that differs between stages, in one typed place."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Duration, RemovalPolicy
from aws_cdk.aws_logs import RetentionDays

from lambdas.shared.parameters import (
    IntakeParameters,
    NotificationParameters,
    OrderParameters,
    ParameterGroup,
    QueueParameters,
)


@dataclass(frozen=True)
class StageSettings:
    name: str
    region: str
    # database
    min_capacity: float  # Aurora Serverless v2 ACUs
    max_capacity: float
    backup_days: int
    deletion_protection: bool
    # logs, API, auth
    log_retention: RetentionDays
    throttle_rate: int  # requests per second, steady
    throttle_burst: int
    mfa_required: bool
    password_min_length: int
    # alarms
    failed_executions_alarm: int  # failed executions in 5 minutes that page ops
    lambda_errors_alarm: int  # a function's unexpected errors in 5 minutes (any error of the API and migrations)
    alarm_email: str | None = None
    failed_notifications_alarm: int = 1  # messages given up on in 5 minutes that page ops
    # the programme's rules and the senders' names: created in Parameter Store under /fondation/<stage>/
    # with these values (the models' defaults unless a stage says otherwise), changeable there without a
    # deploy (lambdas/shared/parameters.py reads them)
    intake: IntakeParameters = field(default_factory=IntakeParameters)
    queue: QueueParameters = field(default_factory=QueueParameters)
    orders: OrderParameters = field(default_factory=OrderParameters)
    notifications: NotificationParameters = field(default_factory=NotificationParameters)
    # an EC2 instance ops reach through Session Manager to forward a port to the database (README: "Ops")
    bastion: bool = False

    @property
    def parameter_path(self) -> str:
        return f"/fondation/{self.name}"

    @property
    def parameter_groups(self) -> list[ParameterGroup]:
        return [self.intake, self.queue, self.orders, self.notifications]

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Prod keeps its data (a snapshot of the database) when the stack goes; dev cleans up."""
        return RemovalPolicy.SNAPSHOT if self.deletion_protection else RemovalPolicy.DESTROY

    @property
    def data_removal_policy(self) -> RemovalPolicy:
        """Prod keeps its logs, users and secrets when the stack goes, but not when a first deploy
        rolls back: left behind, they would make the next attempt fail with "already exists"."""
        return RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if self.deletion_protection else RemovalPolicy.DESTROY

    @property
    def backup_retention(self) -> Duration:
        return Duration.days(self.backup_days)


STAGES = {
    "dev": StageSettings(
        name="dev",
        region="eu-west-3",
        # never 0 (paused): the dispatcher's minute schedule would wake it at once (README: "What a stage costs")
        min_capacity=0.5,
        max_capacity=2,
        backup_days=1,
        deletion_protection=False,
        log_retention=RetentionDays.TWO_WEEKS,
        throttle_rate=20,
        throttle_burst=40,
        mfa_required=False,
        password_min_length=12,
        failed_executions_alarm=5,
        lambda_errors_alarm=10,
    ),
    "prod": StageSettings(
        name="prod",
        region="eu-west-3",
        min_capacity=0.5,
        max_capacity=8,
        backup_days=14,
        deletion_protection=True,
        log_retention=RetentionDays.ONE_YEAR,
        throttle_rate=50,
        throttle_burst=100,
        mfa_required=True,
        password_min_length=14,
        failed_executions_alarm=1,
        lambda_errors_alarm=1,
    ),
}


def stage_settings(name: str) -> StageSettings:
    try:
        return STAGES[name]
    except KeyError:
        raise SystemExit(f"unknown stage {name!r}: use -c stage={' or -c stage='.join(STAGES)}") from None
