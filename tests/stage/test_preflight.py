"""Each account check passes and fails as the account answers: moto where it answers the call as AWS
does, botocore's Stubber with AWS's documented answers where it does not."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_cdk import App, Environment, Stack
from botocore.stub import Stubber
from moto import mock_aws

from infra.constructs.auth import Auth
from infra.constructs.network import Network
from infra.settings import STAGES, StageSettings
from stage.preflight import CHECKS, Account, Check, Result, cognito_domain_prefix, preflight, run_check

REGION = "eu-west-3"
DEV = dataclasses.replace(STAGES["dev"], alarm_email="oncall@fondation.example")
NO_STACK = ("ValidationError", "Stack with id Fondation-dev does not exist")
TOPIC = "arn:aws:sns:eu-west-3:123456789012:fondation-dev-alarms"


def check_named(name: str) -> Check:
    return next(check for check in CHECKS if check.name == name)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


class Answers:
    """A client factory: stubbed clients with the answers a test queues, moto's for the others."""

    def __init__(self) -> None:
        self.stubbers: dict[str, Stubber] = {}
        self.clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self.clients:
            make: Any = boto3.client  # any service's, by name
            self.clients[service] = make(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        return self.clients[service]

    def answer(self, service: str, operation: str, response: dict[str, Any], params: Any = None) -> Answers:
        self._stubber(service).add_response(operation, response, params)
        return self

    def refuse(self, service: str, operation: str, code: str, message: str = "") -> Answers:
        self._stubber(service).add_client_error(operation, service_error_code=code, service_message=message)
        return self

    def no_stack(self) -> Answers:
        return self.refuse("cloudformation", "describe_stacks", *NO_STACK)

    def stack(self, **outputs: str) -> Answers:
        return self.answer(
            "cloudformation",
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "Fondation-dev",
                        "CreationTime": "2026-12-01T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
                    }
                ]
            },
        )

    def _stubber(self, service: str) -> Stubber:
        if service not in self.stubbers:
            self.stubbers[service] = Stubber(self(service))
            self.stubbers[service].activate()
        return self.stubbers[service]


def run(name: str, answers: Callable[[str], Any], settings: StageSettings = DEV) -> Result:
    return run_check(check_named(name), Account(settings, answers))


# SES: the domain identity


def identity(verified: bool, dkim: str) -> dict[str, Any]:
    return {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": verified, "DkimAttributes": {"Status": dkim}}


def test_a_verified_domain_with_its_dkim_passes() -> None:
    answers = Answers().answer(
        "sesv2", "get_email_identity", identity(True, "SUCCESS"), {"EmailIdentity": "fondation-optical-center.org"}
    )
    result = run("ses-domain", answers)
    assert result.passed, result
    assert "aws sesv2 get-email-identity --email-identity fondation-optical-center.org --region eu-west-3" in (
        result.command
    )


def test_a_domain_ses_does_not_know_fails_saying_how_to_create_it(aws: None) -> None:
    result = run("ses-domain", Answers())
    assert not result.passed
    assert "no identity fondation-optical-center.org" in result.found
    assert "aws sesv2 create-email-identity --email-identity fondation-optical-center.org" in result.todo


def test_a_domain_not_verified_yet_fails_naming_the_dkim_records() -> None:
    result = run("ses-domain", Answers().answer("sesv2", "get_email_identity", identity(False, "PENDING")))
    assert not result.passed
    assert "not verified for sending yet (DKIM PENDING)" in result.found
    assert "_domainkey.fondation-optical-center.org CNAME" in result.todo


def test_a_domain_whose_dkim_records_went_fails() -> None:
    result = run("ses-domain", Answers().answer("sesv2", "get_email_identity", identity(True, "TEMPORARY_FAILURE")))
    assert not result.passed
    assert "DKIM is TEMPORARY_FAILURE" in result.found


# SES: out of the sandbox


def test_production_access_passes() -> None:
    answers = Answers().answer("sesv2", "get_account", {"ProductionAccessEnabled": True, "SendingEnabled": True})
    assert run("ses-production-access", answers).passed


def test_the_ses_sandbox_fails_saying_what_it_does_to_messages_and_how_to_leave() -> None:
    answers = Answers().answer(
        "sesv2",
        "get_account",
        {
            "ProductionAccessEnabled": False,
            "SendingEnabled": True,
            "Details": {"ReviewDetails": {"Status": "PENDING", "CaseId": "1"}},
        },
    )
    result = run("ses-production-access", answers)
    assert not result.passed
    assert "SES sandbox in eu-west-3 (a request is PENDING)" in result.found
    assert "554" in result.found
    assert "aws sesv2 put-account-details --production-access-enabled" in result.todo


def test_sending_paused_fails() -> None:
    answers = Answers().answer("sesv2", "get_account", {"ProductionAccessEnabled": True, "SendingEnabled": False})
    result = run("ses-production-access", answers)
    assert not result.passed
    assert "paused" in result.found


# SNS: the SMS sandbox and the spend limit


@pytest.mark.parametrize(("in_sandbox", "passed"), [(False, True), (True, False)])
def test_the_sms_sandbox(in_sandbox: bool, passed: bool) -> None:
    answers = Answers().answer("sns", "get_sms_sandbox_account_status", {"IsInSandbox": in_sandbox})
    result = run("sms-sandbox", answers)
    assert result.passed is passed
    assert ("Exit SMS sandbox" in result.todo) is not passed


def test_a_raised_spend_limit_passes(aws: None) -> None:
    answers = Answers()
    answers("sns").set_sms_attributes(attributes={"MonthlySpendLimit": "50"})
    result = run("sms-spend-limit", answers)
    assert result.passed, result
    assert "50 USD" in result.found


@pytest.mark.parametrize("limit", [None, "1", "0.50"])
def test_the_default_spend_limit_fails(aws: None, limit: str | None) -> None:
    answers = Answers()
    if limit:
        answers("sns").set_sms_attributes(attributes={"MonthlySpendLimit": limit})
    result = run("sms-spend-limit", answers)
    assert not result.passed
    assert "aws sns set-sms-attributes --attributes MonthlySpendLimit=" in result.todo


# Cognito: the domain prefix


def test_a_free_prefix_passes(aws: None) -> None:
    result = run("cognito-domain", Answers())
    assert result.passed, result
    assert "fondation-dev is free" in result.found


def test_a_prefix_the_stack_holds_passes(aws: None) -> None:
    answers = Answers()
    pool = answers("cognito-idp").create_user_pool(PoolName="fondation-dev")["UserPool"]["Id"]
    answers("cognito-idp").create_user_pool_domain(Domain="fondation-dev", UserPoolId=pool)
    result = run("cognito-domain", answers.stack(UserPoolId=pool))
    assert result.passed, result
    assert "the stack's own" in result.found


def test_a_prefix_another_pool_holds_fails(aws: None) -> None:
    answers = Answers()
    pool = answers("cognito-idp").create_user_pool(PoolName="someone-else")["UserPool"]["Id"]
    answers("cognito-idp").create_user_pool_domain(Domain="fondation-dev", UserPoolId=pool)
    result = run("cognito-domain", answers.no_stack())
    assert not result.passed
    assert f"taken in eu-west-3 by user pool {pool}" in result.found
    assert "infra/constructs/auth.py" in result.todo


def test_the_prefix_checked_is_the_one_the_cdk_app_gives_the_pool() -> None:
    stack = Stack(App(), "Auth", env=Environment(region=REGION))
    Auth(stack, "Auth", settings=DEV)
    domains = [child for child in stack.node.find_all() if type(child).__name__ == "CfnUserPoolDomain"]
    assert [domain.domain for domain in domains] == [cognito_domain_prefix(DEV)]  # type: ignore[attr-defined]


# EC2: SES's SMTP endpoint in the VPC's zones


def zones(answers: Answers, *names: str) -> Answers:
    listed = [{"ZoneName": name, "State": "available", "ZoneType": "availability-zone"} for name in names]
    return answers.answer("ec2", "describe_availability_zones", {"AvailabilityZones": listed})


def smtp_offered(answers: Answers, *names: str) -> Answers:
    service = {"ServiceName": "com.amazonaws.eu-west-3.email-smtp", "AvailabilityZones": list(names)}
    return answers.answer(
        "ec2",
        "describe_vpc_endpoint_services",
        {"ServiceDetails": [service]},
        {"ServiceNames": ["com.amazonaws.eu-west-3.email-smtp"]},
    )


def test_the_smtp_endpoint_offered_in_the_first_two_zones_passes() -> None:
    answers = smtp_offered(zones(Answers(), "eu-west-3c", "eu-west-3a", "eu-west-3b"), "eu-west-3a", "eu-west-3b")
    result = run("smtp-endpoint-zones", answers)
    assert result.passed, result
    assert "(eu-west-3a, eu-west-3b)" in result.found


def test_the_smtp_endpoint_missing_from_a_zone_of_the_vpc_fails_naming_it() -> None:
    answers = smtp_offered(zones(Answers(), "eu-west-3a", "eu-west-3b", "eu-west-3c"), "eu-west-3a", "eu-west-3c")
    result = run("smtp-endpoint-zones", answers)
    assert not result.passed
    assert "not in eu-west-3b" in result.found
    assert "infra/constructs/network.py" in result.todo


def test_a_region_without_the_smtp_endpoint_fails() -> None:
    answers = zones(Answers(), "eu-west-3a", "eu-west-3b").refuse(
        "ec2", "describe_vpc_endpoint_services", "InvalidServiceName"
    )
    result = run("smtp-endpoint-zones", answers)
    assert not result.passed
    assert "not offered in eu-west-3" in result.found


def test_the_vpc_takes_the_first_two_zones_cloudformation_lists() -> None:
    # the zone rule the check applies: Fn::GetAZs's first two, as the CDK app leaves it
    stack = Stack(App(), "Network", env=Environment(region=REGION))
    Network(stack, "Network", settings=DEV)
    subnets = [child for child in stack.node.find_all() if type(child).__name__ == "CfnSubnet"]
    chosen = [stack.resolve(subnet.availability_zone) for subnet in subnets]  # type: ignore[attr-defined]
    assert chosen == [{"Fn::Select": [index, {"Fn::GetAZs": ""}]} for index in range(2)]


# The alarm e-mail


def test_no_alarm_email_fails_naming_the_setting() -> None:
    result = run("alarm-email", Answers(), dataclasses.replace(DEV, alarm_email=None))
    assert not result.passed
    assert "alarms page nobody" in result.found
    assert "alarm_email='<the on-call address>' in the 'dev' stage of infra/settings.py" in result.todo


def test_an_alarm_email_before_the_first_deploy_passes_saying_to_confirm_it_after() -> None:
    result = run("alarm-email", Answers().no_stack())
    assert result.passed, result
    assert "not deployed yet" in result.found


def test_a_confirmed_subscription_passes(aws: None) -> None:
    answers = Answers()
    topic = answers("sns").create_topic(Name="fondation-dev-alarms")["TopicArn"]
    answers("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint="OnCall@fondation.example")
    result = run("alarm-email", answers.stack(AlarmTopicArn=topic))
    assert result.passed, result


def test_an_address_not_subscribed_fails(aws: None) -> None:
    answers = Answers()
    topic = answers("sns").create_topic(Name="fondation-dev-alarms")["TopicArn"]
    answers("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint="someone-else@fondation.example")
    result = run("alarm-email", answers.stack(AlarmTopicArn=topic))
    assert not result.passed
    assert f"aws sns subscribe --topic-arn {topic} --protocol email" in result.todo


def test_a_subscription_not_confirmed_fails() -> None:
    pending = {"SubscriptionArn": "PendingConfirmation", "Protocol": "email", "Endpoint": "oncall@fondation.example"}
    answers = (
        Answers()
        .stack(AlarmTopicArn=TOPIC)
        .answer("sns", "list_subscriptions_by_topic", {"Subscriptions": [{**pending, "TopicArn": TOPIC}]})
    )
    result = run("alarm-email", answers)
    assert not result.passed
    assert "has not confirmed" in result.found
    assert "Subscription Confirmation" in result.todo


# The runner


def test_a_refused_call_fails_the_check_naming_the_permission() -> None:
    result = run("sms-sandbox", Answers().refuse("sns", "get_sms_sandbox_account_status", "AuthorizationError", "no"))
    assert not result.passed
    assert result.found == "could not check: AuthorizationError no"
    assert result.todo == "run it with credentials that may call sns:GetSMSSandboxAccountStatus"


def passing(answers: Answers) -> Answers:
    """An account ready for dev's first deploy."""
    return smtp_offered(
        zones(
            answers.answer("sesv2", "get_email_identity", identity(True, "SUCCESS"))
            .answer("sesv2", "get_account", {"ProductionAccessEnabled": True, "SendingEnabled": True})
            .answer("sns", "get_sms_sandbox_account_status", {"IsInSandbox": False})
            .answer("sns", "get_sms_attributes", {"attributes": {"MonthlySpendLimit": "30"}})
            .answer("cognito-idp", "describe_user_pool_domain", {"DomainDescription": {}}),
            "eu-west-3a",
            "eu-west-3b",
        ),
        "eu-west-3a",
        "eu-west-3b",
    ).no_stack()


def caller(answers: Answers) -> Answers:
    return answers.answer(
        "sts", "get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/ops"}
    )


def test_preflight_prints_a_line_and_a_command_per_check_and_exits_0_when_all_pass() -> None:
    out = io.StringIO()
    assert preflight(DEV, caller(passing(Answers())), out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "stage dev: account 123456789012 (arn:aws:iam::123456789012:user/ops), region eu-west-3"
    verdicts = [line for line in lines if line.startswith(("PASS", "FAIL"))]
    assert [line.split(":")[0] for line in verdicts] == [f"PASS  {check.name}" for check in CHECKS]
    assert sum(line.startswith("      check: aws ") for line in lines) == len(CHECKS)
    assert lines[-1] == f"all {len(CHECKS)} checks passed"


def test_preflight_exits_1_naming_what_failed() -> None:
    out = io.StringIO()
    assert preflight(dataclasses.replace(DEV, alarm_email=None), caller(passing(Answers())), out) == 1
    assert out.getvalue().splitlines()[-1] == f"1 of {len(CHECKS)} checks failed: alarm-email"
    assert "FAIL  alarm-email: stage dev has no alarm_email" in out.getvalue()


def test_preflight_without_credentials_exits_2_saying_how_to_give_them() -> None:
    out = io.StringIO()
    assert preflight(DEV, Answers().refuse("sts", "get_caller_identity", "InvalidClientTokenId"), out) == 2
    assert "export AWS_PROFILE" in out.getvalue()


def test_an_unknown_stage_is_refused_naming_the_stages(capsys: pytest.CaptureFixture[str]) -> None:
    from stage.__main__ import main

    for argv, choices in (
        (["preflight", "--stage", "staging"], "dev, prod"),
        (["smoke", "--stage", "staging"], "dev, prod, local"),
    ):
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        assert stopped.value.code == 2
        assert f"--stage: no stage 'staging' in infra/settings.py (choose one of {choices})" in capsys.readouterr().err


def test_a_profile_this_machine_lacks_is_refused_in_words_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stage.__main__ import main

    monkeypatch.setenv("AWS_PROFILE", "fondation-admin-nowhere")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(SystemExit) as stopped:
        main(["preflight", "--stage", "dev"])
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "fondation-admin-nowhere" in said
    assert "aws configure --profile" in said
