"""What the AWS account needs before a stage's first request can succeed, each checked through boto3.

Every check prints the AWS CLI command that checks it by hand and, when it fails, what to do. The
checks only read: nothing in the account is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from infra.settings import StageSettings

# AWS's monthly SMS spend limit on a new account, in USD: a few dozen texts, then SNS sends no more.
DEFAULT_SMS_SPEND_LIMIT = Decimal(1)
# How many zones the stack's VPC spans (max_azs in infra/constructs/network.py).
VPC_ZONES = 2

ClientFactory = Callable[[str], Any]


def stack_name(settings: StageSettings) -> str:
    return f"Fondation-{settings.name}"


def cognito_domain_prefix(settings: StageSettings) -> str:
    """The user pool's domain prefix, as infra/constructs/auth.py names it."""
    return f"fondation-{settings.name}"


def mail_domain(settings: StageSettings) -> str:
    """The domain the dispatcher sends from: SES must have it verified (infra/constructs/functions.py
    lets the SMTP user send from any address of it)."""
    return settings.notifications.email_sender.rpartition("@")[2]


class Account:
    """The stage's account as the checks see it: one client per service in the stage's region, and
    the stack's outputs once it is deployed."""

    def __init__(self, settings: StageSettings, clients: ClientFactory) -> None:
        self.settings = settings
        self._factory = clients
        self._clients: dict[str, Any] = {}
        self._outputs: dict[str, str] | None = None
        self._outputs_read = False

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._factory(service)
        return self._clients[service]

    def stack_outputs(self) -> dict[str, str] | None:
        """The stack's outputs, or None before its first deploy."""
        if not self._outputs_read:
            self._outputs = read_stack_outputs(self.client("cloudformation"), stack_name(self.settings))
            self._outputs_read = True
        return self._outputs


def read_stack_outputs(cloudformation: Any, name: str) -> dict[str, str] | None:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        # CloudFormation names no error code of its own for a missing stack: a ValidationError says so
        if error.response["Error"]["Code"] == "ValidationError" and "does not exist" in str(error):
            return None
        raise
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    found: str  # what the account says, in words
    todo: str = ""  # what to do about it (failed checks only)


@dataclass(frozen=True)
class Check:
    name: str
    actions: tuple[str, ...]  # the IAM actions it calls, named when they are refused
    command: Callable[[StageSettings], str]  # the AWS CLI command that checks it by hand
    run: Callable[[Account], Verdict]


@dataclass(frozen=True)
class Result:
    check: str
    passed: bool
    found: str
    todo: str
    command: str

    def lines(self) -> list[str]:
        head = f"{'PASS' if self.passed else 'FAIL'}  {self.check}: {self.found}"
        if not self.passed and self.todo:
            head += f" → {self.todo}"
        return [head, f"      check: {self.command}"]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _ses_domain(account: Account) -> Verdict:
    domain, region = mail_domain(account.settings), account.settings.region
    try:
        identity = account.client("sesv2").get_email_identity(EmailIdentity=domain)
    except ClientError as error:
        if _code(error) != "NotFoundException":
            raise
        return Verdict(
            False,
            f"SES has no identity {domain} in {region}",
            f"create it (aws sesv2 create-email-identity --email-identity {domain} --region {region}) and publish "
            f"the three DKIM CNAME records it answers in {domain}'s DNS; SES verifies it within 72 hours",
        )
    dkim = identity.get("DkimAttributes", {}).get("Status", "NOT_STARTED")
    if not identity.get("VerifiedForSendingStatus"):
        return Verdict(
            False,
            f"{domain} is not verified for sending yet (DKIM {dkim})",
            f"publish the DKIM records in {domain}'s DNS: <token>._domainkey.{domain} CNAME <token>.dkim.amazonses.com "
            "for each of the tokens the command below lists (DkimAttributes.Tokens)",
        )
    if dkim != "SUCCESS":
        return Verdict(
            False,
            f"{domain} is verified but its DKIM is {dkim}",
            f"SES no longer finds the DKIM CNAME records in {domain}'s DNS: put them back (DkimAttributes.Tokens)",
        )
    return Verdict(True, f"{domain} is verified for sending, DKIM {dkim}")


def _ses_production(account: Account) -> Verdict:
    region = account.settings.region
    details = account.client("sesv2").get_account()
    if not details.get("SendingEnabled", True):
        return Verdict(
            False,
            f"SES sending is paused for the account in {region}",
            "read why in the SES console's reputation dashboard, fix it, then "
            f"aws sesv2 put-account-sending-attributes --sending-enabled --region {region}",
        )
    if not details.get("ProductionAccessEnabled"):
        review = details.get("Details", {}).get("ReviewDetails", {}).get("Status")
        pending = f" (a request is {review})" if review else ""
        return Verdict(
            False,
            f"the account is in the SES sandbox in {region}{pending}: SES answers 554 for any address it has not "
            "verified, which the dispatcher takes as permanent and drops the message",
            "ask for production access: aws sesv2 put-account-details --production-access-enabled "
            "--mail-type TRANSACTIONAL --website-url <the programme's site> --use-case-description '<who gets "
            f"which e-mails>' --region {region} (AWS answers within a day)",
        )
    return Verdict(True, f"production access in {region}, sending enabled")


def _sms_sandbox(account: Account) -> Verdict:
    region = account.settings.region
    if account.client("sns").get_sms_sandbox_account_status()["IsInSandbox"]:
        return Verdict(
            False,
            f"SNS SMS is in its sandbox in {region}: texts reach only the phone numbers verified there",
            "ask AWS to move the account out of the SMS sandbox (SNS console → Text messaging (SMS) → "
            "Exit SMS sandbox: a support case); meanwhile aws sns create-sms-sandbox-phone-number adds a test phone",
        )
    return Verdict(True, f"out of the SMS sandbox in {region}")


def _sms_spend_limit(account: Account) -> Verdict:
    region = account.settings.region
    attributes = account.client("sns").get_sms_attributes(attributes=["MonthlySpendLimit"]).get("attributes", {})
    raw = attributes.get("MonthlySpendLimit")
    try:
        limit = Decimal(raw) if raw else DEFAULT_SMS_SPEND_LIMIT
    except InvalidOperation:
        limit = DEFAULT_SMS_SPEND_LIMIT
    if limit <= DEFAULT_SMS_SPEND_LIMIT:
        return Verdict(
            False,
            f"the monthly SMS spend limit is {limit} USD (AWS's default): a few dozen texts, then SNS stops sending",
            "ask AWS for a higher limit (a support case: SNS text messaging, monthly spend limit), then "
            f"aws sns set-sms-attributes --attributes MonthlySpendLimit=<USD> --region {region}",
        )
    return Verdict(True, f"monthly SMS spend limit {limit} USD")


def _cognito_domain(account: Account) -> Verdict:
    prefix, region = cognito_domain_prefix(account.settings), account.settings.region
    description = account.client("cognito-idp").describe_user_pool_domain(Domain=prefix).get("DomainDescription", {})
    owner = description.get("UserPoolId")
    if not owner:
        return Verdict(True, f"{prefix} is free in {region}")
    outputs = account.stack_outputs() or {}
    if owner == outputs.get("UserPoolId"):
        return Verdict(True, f"{prefix} is the stack's own ({owner})")
    where = f" in account {description['AWSAccountId']}" if description.get("AWSAccountId") else ""
    return Verdict(
        False,
        f"{prefix} is taken in {region} by user pool {owner}{where}",
        "prefixes are unique in a region across every account: delete that pool's domain if it is yours "
        f"(aws cognito-idp delete-user-pool-domain --domain {prefix} --user-pool-id {owner}), else choose another "
        "prefix in infra/constructs/auth.py and the sign-in URL in infra/constructs/console.py",
    )


def vpc_zones(ec2: Any) -> list[str]:
    """The zones the stack's VPC takes: its account names none, so CloudFormation's Fn::GetAZs chooses,
    and the VPC takes the first two it lists, which are the region's zones in alphabetical order."""
    answer = ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])
    return sorted(zone["ZoneName"] for zone in answer["AvailabilityZones"])[:VPC_ZONES]


def smtp_service(region: str) -> str:
    return f"com.amazonaws.{region}.email-smtp"


def _smtp_endpoint(account: Account) -> Verdict:
    region, ec2 = account.settings.region, account.client("ec2")
    service = smtp_service(region)
    zones = vpc_zones(ec2)
    try:
        details = ec2.describe_vpc_endpoint_services(ServiceNames=[service])["ServiceDetails"]
    except ClientError as error:
        if _code(error) != "InvalidServiceName":
            raise
        details = []
    if not details:
        return Verdict(
            False,
            f"{service} is not offered in {region}",
            "the dispatcher's e-mail needs SES's SMTP endpoint in the VPC: deploy the stage in a region that has it",
        )
    offered = set(details[0].get("AvailabilityZones", []))
    missing = [zone for zone in zones if zone not in offered]
    if missing:
        return Verdict(
            False,
            f"{service} is offered in {', '.join(sorted(offered)) or 'no zone'}, not in {', '.join(missing)}, "
            f"which the VPC takes ({', '.join(zones)}): the deploy fails creating the endpoint",
            "give the VPC zones where it is offered (infra/constructs/network.py takes the region's first two)",
        )
    return Verdict(True, f"{service} is offered in the VPC's zones ({', '.join(zones)})")


def _alarm_email(account: Account) -> Verdict:
    settings = account.settings
    email = settings.alarm_email
    if not email:
        return Verdict(
            False,
            f"stage {settings.name} has no alarm_email: the alarms topic has no subscriber, so alarms page nobody",
            f"set alarm_email='<the on-call address>' in the {settings.name!r} stage of infra/settings.py and deploy; "
            "then confirm the subscription from the e-mail AWS sends to it",
        )
    outputs = account.stack_outputs()
    if outputs is None or "AlarmTopicArn" not in outputs:
        return Verdict(
            True,
            f"alarm_email is {email}; {stack_name(settings)} is not deployed yet: after the deploy, confirm the "
            "subscription from the e-mail AWS sends to it, then run this again",
        )
    topic = outputs["AlarmTopicArn"]
    subscriptions = _subscriptions(account.client("sns"), topic)
    ours = [s for s in subscriptions if s.get("Protocol") == "email" and s.get("Endpoint", "").lower() == email.lower()]
    if not ours:
        return Verdict(
            False,
            f"{email} is not subscribed to {topic}",
            f"deploy the stack (it subscribes alarm_email), or aws sns subscribe --topic-arn {topic} --protocol email "
            f"--notification-endpoint {email} --region {settings.region}; then confirm it from the e-mail",
        )
    if all(s.get("SubscriptionArn") == "PendingConfirmation" for s in ours):
        return Verdict(
            False,
            f"{email} is subscribed to {topic} but has not confirmed",
            f"open the link in the 'AWS Notification - Subscription Confirmation' e-mail sent to {email} (the "
            "aws sns subscribe command above sends another; a link lives 3 days)",
        )
    return Verdict(True, f"{email} is subscribed to the alarms topic and confirmed")


def _subscriptions(sns: Any, topic: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic):
        found.extend(page.get("Subscriptions", []))
    return found


def _alarm_command(settings: StageSettings) -> str:
    return (
        f"aws cloudformation describe-stacks --stack-name {stack_name(settings)} --region {settings.region} "
        "--query \"Stacks[0].Outputs[?OutputKey=='AlarmTopicArn'].OutputValue\" --output text | "
        f"xargs -I{{}} aws sns list-subscriptions-by-topic --topic-arn {{}} --region {settings.region}"
    )


CHECKS: tuple[Check, ...] = (
    Check(
        "ses-domain",
        ("ses:GetEmailIdentity",),
        lambda s: (
            f"aws sesv2 get-email-identity --email-identity {mail_domain(s)} --region {s.region} "
            "--query '[VerifiedForSendingStatus,DkimAttributes.Status]'"
        ),
        _ses_domain,
    ),
    Check(
        "ses-production-access",
        ("ses:GetAccount",),
        lambda s: f"aws sesv2 get-account --region {s.region} --query '[ProductionAccessEnabled,SendingEnabled]'",
        _ses_production,
    ),
    Check(
        "sms-sandbox",
        ("sns:GetSMSSandboxAccountStatus",),
        lambda s: f"aws sns get-sms-sandbox-account-status --region {s.region}",
        _sms_sandbox,
    ),
    Check(
        "sms-spend-limit",
        ("sns:GetSMSAttributes",),
        lambda s: f"aws sns get-sms-attributes --attributes MonthlySpendLimit --region {s.region}",
        _sms_spend_limit,
    ),
    Check(
        "cognito-domain",
        ("cognito-idp:DescribeUserPoolDomain", "cloudformation:DescribeStacks"),
        lambda s: f"aws cognito-idp describe-user-pool-domain --domain {cognito_domain_prefix(s)} --region {s.region}",
        _cognito_domain,
    ),
    Check(
        "smtp-endpoint-zones",
        ("ec2:DescribeAvailabilityZones", "ec2:DescribeVpcEndpointServices"),
        lambda s: (
            f"aws ec2 describe-vpc-endpoint-services --service-names {smtp_service(s.region)} --region {s.region} "
            f"--query 'ServiceDetails[0].AvailabilityZones' (the VPC's: the first {VPC_ZONES} of aws ec2 "
            f"describe-availability-zones --region {s.region} --query 'sort(AvailabilityZones[].ZoneName)')"
        ),
        _smtp_endpoint,
    ),
    Check(
        "alarm-email",
        ("cloudformation:DescribeStacks", "sns:ListSubscriptionsByTopic"),
        _alarm_command,
        _alarm_email,
    ),
)


def run_check(check: Check, account: Account) -> Result:
    """The check's verdict; a refusal or an unreachable service fails it, saying which."""
    command = check.command(account.settings)
    try:
        verdict = check.run(account)
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", "")
        verdict = Verdict(
            False,
            f"could not check: {_code(error)} {message}".rstrip(),
            f"run it with credentials that may call {', '.join(check.actions)}",
        )
    except BotoCoreError as error:
        verdict = Verdict(False, f"could not check: {error}", "check the credentials and the network, and run it again")
    return Result(check.name, verdict.passed, verdict.found, verdict.todo, command)


def run_checks(account: Account, checks: Iterable[Check] = CHECKS) -> list[Result]:
    return [run_check(check, account) for check in checks]


def preflight(settings: StageSettings, clients: ClientFactory, out: TextIO) -> int:
    """Print whose account this is and every check's verdict; 0 when all pass, 1 when any fails, 2
    when the account cannot be reached at all."""
    try:
        identity = clients("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        print(
            f"cannot reach the account: {error}\n"
            "check the credentials for the stage's account (export AWS_PROFILE=<profile>, or aws sso login) and the "
            "network, then run this again",
            file=out,
        )
        return 2
    print(
        f"stage {settings.name}: account {identity['Account']} ({identity['Arn']}), region {settings.region}", file=out
    )
    results = run_checks(Account(settings, clients))
    for result in results:
        for line in result.lines():
            print(line, file=out)
    failed = [result.check for result in results if not result.passed]
    if failed:
        print(f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}", file=out)
        return 1
    print(f"all {len(results)} checks passed", file=out)
    return 0
