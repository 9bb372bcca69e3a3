"""The dispatcher in the synthesised stack: run every minute and nudged by what queues messages; it
may send SMS and e-mail from the stage's sender and nothing else; its give-ups page ops."""

from __future__ import annotations

from typing import Any

import pytest

from infra.settings import stage_settings
from tests.infra.conftest import Synthesised
from tests.infra.test_stack import STAGES, _function_by_name, _list


def _statements(synthesised: Synthesised, stage: str, role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synthesised.resources(stage, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_the_dispatcher_texts_people_and_nothing_else(synthesised: Synthesised, stage: str) -> None:
    _, dispatcher = _function_by_name(synthesised, stage)[f"fondation-{stage}-dispatcher"]
    assert dispatcher["Properties"]["Handler"] == "lambdas.dispatcher.handler.handler"
    environment = dispatcher["Properties"]["Environment"]["Variables"]
    assert environment["SETTINGS_PATH"] == f"/fondation/{stage}"  # the senders' names are parameters
    assert "NOTIFY_MAILBOX" not in environment
    statements = _statements(synthesised, stage, dispatcher["Properties"]["Role"]["Fn::GetAtt"][0])
    # no SES API call (e-mail leaves through SMTP, with the SMTP user's key: its own test)
    assert not [s for s in statements if any(a.startswith("ses:") for a in _list(s["Action"]))]
    # SMS: a policy of its own, whose reason for Resource "*" is its own
    [texts_id] = [
        name
        for name, policy in synthesised.resources(stage, "AWS::IAM::Policy").items()
        if any(s.get("Sid") == "TextPeople" for s in policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    texts = synthesised.resources(stage, "AWS::IAM::Policy")[texts_id]["Properties"]["PolicyDocument"]["Statement"]
    sns = {(s["Effect"], s["Action"], str(s["Resource"])) for s in texts}
    # an SMS to a phone has no ARN; no topic
    assert sns == {("Allow", "sns:Publish", "*"), ("Deny", "sns:Publish", "arn:aws:sns:*:*:*")}
    [reason] = [
        reasons["AwsSolutions::AwsSolutions-IAM5[Resource::*]"]
        for path, reasons in synthesised.acknowledgments.items()
        if path == f"Fondation-{stage}/Functions/DispatcherTextMessages"
    ]
    assert "phone number" in reason
    others = {a for s in statements for a in _list(s["Action"])} - {"sns:Publish"}
    # the SMTP key and the relay's Step Functions calls: their own tests
    allowed = ("logs:", "ec2:", "xray:", "rds-db:", "ssm:", "secretsmanager:", "states:")
    assert not {action for action in others if not action.startswith(allowed)}


@pytest.mark.parametrize("stage", STAGES)
def test_the_dispatcher_runs_every_minute(synthesised: Synthesised, stage: str) -> None:
    logical_id, _ = _function_by_name(synthesised, stage)[f"fondation-{stage}-dispatcher"]
    [schedule] = synthesised.resources(stage, "AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [logical_id, "Arn"]}
    # a missed run is not retried: the next one comes a minute later
    assert schedule["Properties"]["Target"]["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 60,
        "MaximumRetryAttempts": 0,
    }


@pytest.mark.parametrize("stage", STAGES)
def test_what_queues_a_message_may_invoke_the_dispatcher_and_knows_its_name(
    synthesised: Synthesised, stage: str
) -> None:
    functions = _function_by_name(synthesised, stage)
    dispatcher_id, _ = functions[f"fondation-{stage}-dispatcher"]
    queuing = [f for f in functions.values() if ".tasks." in f[1]["Properties"]["Handler"]]
    queuing.append(functions[f"fondation-{stage}-api"])
    assert len(queuing) > 1
    for _, function in queuing:
        environment = function["Properties"]["Environment"]["Variables"]
        assert environment["DISPATCHER_FUNCTION"] == {"Ref": dispatcher_id}
        statements = _statements(synthesised, stage, function["Properties"]["Role"]["Fn::GetAtt"][0])
        invoke = [s for s in statements if "lambda:InvokeFunction" in _list(s["Action"])]
        assert [s["Resource"] for s in invoke] == [{"Fn::GetAtt": [dispatcher_id, "Arn"]}]


@pytest.mark.parametrize("stage", STAGES)
def test_messages_given_up_on_page_ops(synthesised: Synthesised, stage: str) -> None:
    dispatcher_id, _ = _function_by_name(synthesised, stage)[f"fondation-{stage}-dispatcher"]
    alarms = synthesised.resources(stage, "AWS::CloudWatch::Alarm").values()
    [alarm] = [a for a in alarms if a["Properties"].get("MetricName") == "NotificationsFailed"]
    assert alarm["Properties"]["Dimensions"] == [{"Name": "service", "Value": {"Ref": dispatcher_id}}]
    assert alarm["Properties"]["Namespace"] == f"Fondation/{stage}"
    assert alarm["Properties"]["Threshold"] == stage_settings(stage).failed_notifications_alarm
    assert alarm["Properties"]["AlarmActions"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_isolated_subnets_reach_lambda_and_sns_through_endpoints(synthesised: Synthesised, stage: str) -> None:
    endpoints = synthesised.resources(stage, "AWS::EC2::VPCEndpoint").values()
    services = {str(endpoint["Properties"]["ServiceName"]) for endpoint in endpoints}
    assert any(service.endswith(".lambda") for service in services), services
    assert any(service.endswith(".sns") for service in services), services


@pytest.mark.parametrize("stage", STAGES)
def test_email_leaves_through_ses_smtp_endpoint_with_a_user_that_may_only_send_from_the_domain(
    synthesised: Synthesised, stage: str
) -> None:
    settings = stage_settings(stage)
    domain = settings.notifications.email_sender.rpartition("@")[2]
    _, dispatcher = _function_by_name(synthesised, stage)[f"fondation-{stage}-dispatcher"]
    secret_ref = dispatcher["Properties"]["Environment"]["Variables"]["SMTP_SECRET_ARN"]
    secrets = synthesised.resources(stage, "AWS::SecretsManager::Secret")
    [secret_id] = [key for key in secrets if {"Ref": key} == secret_ref]
    # the dispatcher, and no other function, reads the key
    readers = [
        policy["Properties"].get("Roles", [])
        for policy in synthesised.resources(stage, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement.get("Resource") == {"Ref": secret_id}
    ]
    assert readers == [[{"Ref": dispatcher["Properties"]["Role"]["Fn::GetAtt"][0]}]]
    # the SMTP user may send raw e-mail from the domain and nothing else
    [user_policy] = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in synthesised.resources(stage, "AWS::IAM::Policy").values()
        if policy["Properties"].get("Users")
    ]
    assert [statement["Action"] for statement in user_policy] == ["ses:SendRawEmail"]
    assert user_policy[0]["Condition"] == {"StringLike": {"ses:FromAddress": f"*@{domain}"}}
    # SES's SMTP endpoint, on 587 only
    endpoints = synthesised.resources(stage, "AWS::EC2::VPCEndpoint").values()
    assert any("email-smtp" in str(endpoint["Properties"]["ServiceName"]) for endpoint in endpoints)
    ingress = [rule["Properties"] for rule in synthesised.resources(stage, "AWS::EC2::SecurityGroupIngress").values()]
    [smtp] = [rule for rule in ingress if rule["FromPort"] == 587 and rule["ToPort"] == 587]
    # from the dispatcher's own security group, which no other function has
    groups = {
        name: function["Properties"]["VpcConfig"]["SecurityGroupIds"]
        for name, (_, function) in _function_by_name(synthesised, stage).items()
    }
    holders = [name for name, ids in groups.items() if smtp["SourceSecurityGroupId"] in ids]
    assert holders == [f"fondation-{stage}-dispatcher"]
