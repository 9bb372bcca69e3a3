"""Everything that differs between stages, in one typed place."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk.aws_logs import RetentionDays


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
    allowed_origins: tuple[str, ...]
    mfa_required: bool
    password_min_length: int
    # alarms
    failed_executions_alarm: int  # failed executions in 5 minutes that page ops
    lambda_errors_alarm: int  # a function's unexpected errors in 5 minutes (any error of the API and migrations)
    alarm_email: str | None = None
    # intake
    default_phone_region: str = "FR"  # the country whose national numbers the front desk types
    # the programme's rules for orders (lambdas/shared/config.py OrderSettings reads them)
    order_max_sphere: str = "20"  # dioptres, either sign
    order_max_cylinder: str = "6"
    prescription_max_age_days: int = 730
    lab_timeout_days: int = 30  # from the first submission to the lab
    # notifications: who SMS and e-mails come from (SES must have the address or its domain verified)
    sms_sender_id: str = "FONDATION"
    email_sender: str = "accueil@fondation-optical-center.org"
    failed_notifications_alarm: int = 1  # messages given up on in 5 minutes that page ops

    @property
    def programme_environment(self) -> dict[str, str]:
        """The rules the API and the workflows' tasks apply, as the variables they read."""
        return {
            "DEFAULT_PHONE_REGION": self.default_phone_region,
            "ORDER_MAX_SPHERE": self.order_max_sphere,
            "ORDER_MAX_CYLINDER": self.order_max_cylinder,
            "PRESCRIPTION_MAX_AGE_DAYS": str(self.prescription_max_age_days),
            "LAB_TIMEOUT_DAYS": str(self.lab_timeout_days),
        }

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Prod keeps its data (a snapshot of the database) when the stack goes; dev cleans up."""
        return RemovalPolicy.SNAPSHOT if self.deletion_protection else RemovalPolicy.DESTROY

    @property
    def data_removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.deletion_protection else RemovalPolicy.DESTROY

    @property
    def backup_retention(self) -> Duration:
        return Duration.days(self.backup_days)


STAGES = {
    "dev": StageSettings(
        name="dev",
        region="eu-west-3",
        min_capacity=0,
        max_capacity=2,
        backup_days=1,
        deletion_protection=False,
        log_retention=RetentionDays.TWO_WEEKS,
        throttle_rate=20,
        throttle_burst=40,
        allowed_origins=("http://localhost:5173",),
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
        allowed_origins=("https://accueil.fondation-optical-center.org",),
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
