"""Ops' bastion: absent unless a stage turns it on; when on, reachable only through Session Manager,
and the one way to the database besides the functions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.app import cdk_json_context
from infra.settings import STAGES, stage_settings
from infra.stack import FondationStack
from tests.infra.conftest import Synthesised
from workflows import all_workflows


@pytest.fixture(scope="module")
def with_bastion(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The dev stage with its bastion on, synthesised with the AWS Solutions checks (a finding fails it)."""
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("cdk.out")))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    FondationStack(app, dataclasses.replace(stage_settings("dev"), bastion=True), all_workflows())
    return app.synth().stacks[0].template


def _of_type(template: dict, kind: str) -> dict[str, dict]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_no_stage_has_a_bastion_by_default(synthesised: Synthesised, stage: str) -> None:
    assert stage_settings(stage).bastion is False
    assert not synthesised.resources(stage, "AWS::EC2::Instance")
    assert "BastionInstanceId" not in synthesised.templates[stage].get("Outputs", {})


def test_the_bastion_is_the_smallest_graviton_with_no_inbound_rule(with_bastion: dict) -> None:
    [instance] = _of_type(with_bastion, "AWS::EC2::Instance").values()
    properties = instance["Properties"]
    assert properties["InstanceType"] == "t4g.nano"
    assert properties["Monitoring"] is True
    [device] = properties["BlockDeviceMappings"]
    assert device["Ebs"]["Encrypted"] is True
    [template] = _of_type(with_bastion, "AWS::EC2::LaunchTemplate").values()
    assert template["Properties"]["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == "required"
    # in an isolated subnet: the stack's VPC has no other kind
    subnets = _of_type(with_bastion, "AWS::EC2::Subnet")
    assert all(not subnet["Properties"].get("MapPublicIpOnLaunch") for subnet in subnets.values())
    assert not _of_type(with_bastion, "AWS::EC2::InternetGateway")
    [group_id] = [ref["Fn::GetAtt"][0] for ref in properties["SecurityGroupIds"]]
    group = with_bastion["Resources"][group_id]["Properties"]
    assert not group.get("SecurityGroupIngress")
    ingress = [
        rule
        for rule in _of_type(with_bastion, "AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"].get("GroupId", {}).get("Fn::GetAtt", [None])[0] == group_id
    ]
    assert ingress == []
    egress = [
        rule["Properties"]
        for rule in _of_type(with_bastion, "AWS::EC2::SecurityGroupEgress").values()
        if rule["Properties"]["GroupId"]["Fn::GetAtt"][0] == group_id
    ]
    assert sorted(rule["FromPort"] for rule in egress) == [443, 3306]  # the endpoints, the cluster


def test_the_session_manager_endpoints_exist_for_the_bastion_only(with_bastion: dict, synthesised: Synthesised) -> None:
    def services(template: dict) -> set[str]:
        return {
            json.dumps(endpoint["Properties"]["ServiceName"]).rsplit(".", 1)[-1].strip('"]}')
            for endpoint in _of_type(template, "AWS::EC2::VPCEndpoint").values()
        }

    assert {"ssmmessages", "ec2messages"} <= services(with_bastion)
    assert not {"ssmmessages", "ec2messages"} & services(synthesised.templates["dev"])


def test_ops_may_forward_a_port_through_it_and_read_the_database_as_the_read_only_user(with_bastion: dict) -> None:
    [policy] = [
        policy["Properties"]
        for policy in _of_type(with_bastion, "AWS::IAM::ManagedPolicy").values()
        if policy["Properties"].get("ManagedPolicyName") == "fondation-dev-ops-database"
    ]
    statements = {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}
    forwarding = json.dumps(statements["PortForwardingThroughTheBastion"]["Resource"])
    assert "document/AWS-StartPortForwardingSessionToRemoteHost" in forwarding
    assert "instance/" in forwarding
    shell_refused = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    assert statements["PortForwardingThroughTheBastion"]["Condition"] == shell_refused
    assert statements["ReadOnlyDatabaseUser"]["Action"] == "rds-db:connect"
    assert "/fondation_readonly" in json.dumps(statements["ReadOnlyDatabaseUser"]["Resource"])
    assert "fondation_app" not in json.dumps(policy)
    assert {"BastionInstanceId", "OpsDatabasePolicyArn", "ClusterEndpoint"} <= set(with_bastion["Outputs"])


def test_the_migrations_create_the_read_only_user_ops_sign_in_as(synthesised: Synthesised) -> None:
    from infra.constructs.database import READONLY_USER

    [migrations] = [
        function
        for function in synthesised.resources("dev", "AWS::Lambda::Function").values()
        if function["Properties"].get("FunctionName") == "fondation-dev-migrations"
    ]
    assert migrations["Properties"]["Environment"]["Variables"]["DB_READONLY_USER"] == READONLY_USER


def test_the_readme_gives_ops_the_commands(with_bastion: dict) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for needed in (
        "AWS-StartPortForwardingSessionToRemoteHost",
        "generate-db-auth-token",
        "fondation_readonly",
        "--ssl-mode=VERIFY_CA",
    ):
        assert needed in readme, needed
