"""Assertions on the synthesised templates of both stages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lambdas.api.routes import every_route
from local.console import FILES
from tests.infra.conftest import Synthesised
from workflows import all_workflows

STAGES = ["dev", "prod"]


def _function_by_name(synthesised: Synthesised, stage: str) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        resource["Properties"]["FunctionName"]: (logical_id, resource)
        for logical_id, resource in synthesised.resources(stage, "AWS::Lambda::Function").items()
        if "FunctionName" in resource["Properties"]
    }


@pytest.mark.parametrize("stage", STAGES)
def test_one_function_per_declared_task_with_the_declared_handler(synthesised: Synthesised, stage: str) -> None:
    functions = _function_by_name(synthesised, stage)
    for workflow in all_workflows():
        for placeholder, task in workflow.tasks.items():
            _, function = functions[f"fondation-{stage}-{workflow.function_name(placeholder)}"]
            properties = function["Properties"]
            assert properties["Handler"] == task.handler
            assert (properties["Runtime"], properties["Architectures"]) == ("python3.11", ["arm64"])
            assert properties["Timeout"] == task.timeout_seconds
            assert properties["MemorySize"] == task.memory_mb
            assert properties["TracingConfig"] == {"Mode": "Active"}
            assert "SubnetIds" in properties["VpcConfig"]
            assert len(properties["Layers"]) == 1


@pytest.mark.parametrize("stage", STAGES)
def test_one_state_machine_per_workflow_with_every_placeholder_bound_to_its_function(
    synthesised: Synthesised, stage: str
) -> None:
    machines = synthesised.resources(stage, "AWS::StepFunctions::StateMachine")
    functions = _function_by_name(synthesised, stage)
    assert len(machines) == len(all_workflows())
    for workflow in all_workflows():
        machine = next(m for m in machines.values() if m["Properties"]["StateMachineName"].endswith(workflow.name))
        properties = machine["Properties"]
        text = properties["DefinitionString"]  # in the template itself, where cfn-lint checks it
        # CloudFormation replaces each ${Placeholder} with the ARN of the function the declaration names
        substitutions = properties["DefinitionSubstitutions"]
        assert set(re.findall(r"\$\{(\w+)\}", text)) == set(substitutions) == set(workflow.tasks)
        for placeholder, arn in substitutions.items():
            expected = functions[f"fondation-{stage}-{workflow.function_name(placeholder)}"][0]
            assert arn == {"Fn::GetAtt": [expected, "Arn"]}
        assert properties["StateMachineType"] == "STANDARD"
        assert properties["TracingConfiguration"] == {"Enabled": True}
        assert properties["LoggingConfiguration"]["Level"] == "ERROR"
        assert properties["LoggingConfiguration"]["IncludeExecutionData"] is False
        assert json.loads(text) == json.loads(workflow.asl_text())


@pytest.mark.parametrize("stage", STAGES)
def test_a_state_machine_may_invoke_only_its_own_functions(synthesised: Synthesised, stage: str) -> None:
    functions = _function_by_name(synthesised, stage)
    machines = synthesised.resources(stage, "AWS::StepFunctions::StateMachine")
    policies = synthesised.resources(stage, "AWS::IAM::Policy")
    for workflow in all_workflows():
        machine = next(m for m in machines.values() if m["Properties"]["StateMachineName"].endswith(workflow.name))
        role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        own = {functions[f"fondation-{stage}-{workflow.function_name(p)}"][0] for p in workflow.tasks}
        invoked = set()
        for policy in policies.values():
            if {"Ref": role} not in policy["Properties"].get("Roles", []):
                continue
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if "lambda:InvokeFunction" in _list(statement["Action"]):
                    invoked |= _referenced_resources(statement["Resource"])
        assert invoked == own


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _referenced_resources(resources: Any) -> set[str]:
    found = set()
    for resource in _list(resources):
        text = json.dumps(resource)
        found |= set(re.findall(r'"Fn::GetAtt": \["(\w+)"', text))
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_no_policy_allows_a_wildcard_action(synthesised: Synthesised, stage: str) -> None:
    documents = [
        resource["Properties"]["PolicyDocument"]
        for resource in synthesised.resources(stage, "AWS::IAM::Policy").values()
    ]
    documents += [
        resource["Properties"]["PolicyDocument"]
        for resource in synthesised.resources(stage, "AWS::IAM::ManagedPolicy").values()
    ]
    for role in synthesised.resources(stage, "AWS::IAM::Role").values():
        documents += [policy["PolicyDocument"] for policy in role["Properties"].get("Policies", [])]
    actions = [action for doc in documents for statement in doc["Statement"] for action in _list(statement["Action"])]
    assert actions
    assert [action for action in actions if action == "*" or action.endswith(":*")] == []


@pytest.mark.parametrize("stage", STAGES)
def test_functions_connect_to_the_database_as_the_iam_user_only(synthesised: Synthesised, stage: str) -> None:
    connects = [
        statement
        for policy in synthesised.resources(stage, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "rds-db:connect" in _list(statement["Action"])
    ]
    tasks = sum(len(workflow.tasks) for workflow in all_workflows())
    assert len(connects) == tasks + 2  # every task, the API and the dispatcher
    for statement in connects:
        assert json.dumps(statement["Resource"]).endswith('/fondation_app"]]}')


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_api_the_relay_and_the_waiting_tasks_may_start_executions_or_answer_tasks(
    synthesised: Synthesised, stage: str
) -> None:
    functions = _function_by_name(synthesised, stage)

    def role(name: str) -> str:
        return functions[f"fondation-{stage}-{name}"][1]["Properties"]["Role"]["Fn::GetAtt"][0]

    waiting = {  # the tasks a state waits on: each may answer its own wait, found answered already
        role(workflow.function_name(placeholder)): workflow.name
        for workflow in all_workflows()
        for placeholder in workflow.waiting_tasks()
    }
    relayed, answering = set(), {}
    for policy in synthesised.resources(stage, "AWS::IAM::Policy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        roles = [role["Ref"] for role in policy["Properties"].get("Roles", [])]
        for statement in statements:
            actions = {action for action in _list(statement["Action"]) if action.startswith("states:")}
            if not actions or roles == [role("api")]:
                continue
            resource = json.dumps(statement["Resource"])
            if roles == [role("dispatcher")]:  # the relay: start and answer this stage's machines, named
                assert f":stateMachine:fondation-{stage}-" in resource, resource
                relayed |= actions
            elif len(roles) == 1 and roles[0] in waiting:  # its own machine's waits, nothing else
                assert actions == {"states:SendTaskSuccess"}, actions
                assert resource.endswith(f':stateMachine:fondation-{stage}-{waiting[roles[0]]}"]]}}'), resource
                answering[roles[0]] = actions
            else:
                pytest.fail(f"{roles} may call {actions}")
    assert relayed == {"states:StartExecution", "states:SendTaskSuccess", "states:SendTaskFailure",
                       "states:SendTaskHeartbeat"}  # fmt: skip
    assert set(answering) == set(waiting)
    for function in ("api", "dispatcher"):
        environment = functions[f"fondation-{stage}-{function}"][1]["Properties"]["Environment"]["Variables"]
        assert {f"STATE_MACHINE_ARN_{workflow.name.upper().replace('-', '_')}" for workflow in all_workflows()} <= set(
            environment
        )
    environment = functions[f"fondation-{stage}-api"][1]["Properties"]["Environment"]["Variables"]
    assert {"STATE_MACHINE_ARN_CLIENT_ONBOARDING", "DB_HOST", "DB_USER", "DB_NAME"} <= set(environment)


# what the API function may ask of Step Functions: start and answer its workflows, read them for
# managers and ops, redrive and stop their executions (for ops, and for an erasure) — nothing else
API_STATES_ACTIONS = {
    "states:StartExecution": "stateMachine",
    "states:SendTaskSuccess": "stateMachine",
    "states:SendTaskFailure": "stateMachine",
    "states:SendTaskHeartbeat": "stateMachine",
    "states:ListExecutions": "stateMachine",
    "states:DescribeExecution": "execution",
    "states:GetExecutionHistory": "execution",
    "states:RedriveExecution": "execution",
    "states:StopExecution": "execution",
}


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_reads_its_workflows_and_writes_nothing_but_starts_answers_redrives_and_stops(
    synthesised: Synthesised, stage: str
) -> None:
    functions = _function_by_name(synthesised, stage)
    api_role = functions[f"fondation-{stage}-api"][1]["Properties"]["Role"]["Fn::GetAtt"][0]
    machines = set(synthesised.resources(stage, "AWS::StepFunctions::StateMachine"))
    granted: dict[str, set[str]] = {}
    for policy in synthesised.resources(stage, "AWS::IAM::Policy").values():
        if [role["Ref"] for role in policy["Properties"].get("Roles", [])] != [api_role]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            for action in _list(statement["Action"]):
                if action.startswith("states:"):
                    assert action in API_STATES_ACTIONS, action
                    for resource in _list(statement["Resource"]):
                        granted.setdefault(action, set()).add(json.dumps(resource))
    assert set(granted) == set(API_STATES_ACTIONS)
    for action, resources in granted.items():
        for resource in resources:  # this stage's machines, or their executions
            assert any(machine in resource for machine in machines) or f"fondation-{stage}-" in resource, resource
            kind = API_STATES_ACTIONS[action]
            assert (":execution:" in resource) == (kind == "execution"), (action, resource)


@pytest.mark.parametrize("stage", STAGES)
def test_every_parameter_is_created_under_the_stages_path_with_the_stages_value(
    synthesised: Synthesised, stage: str
) -> None:
    from infra.constructs.parameters import parameter_values
    from infra.settings import stage_settings
    from lambdas.shared.parameters import GROUPS

    settings = stage_settings(stage)
    created = {
        resource["Properties"]["Name"]: resource["Properties"]
        for resource in synthesised.resources(stage, "AWS::SSM::Parameter").values()
    }
    expected = {
        f"/fondation/{stage}/{group.group}/{name}": value
        for group in settings.parameter_groups
        for name, value in parameter_values(group).items()
    }
    assert {name: parameter["Value"] for name, parameter in created.items()} == expected
    assert all(parameter["Type"] == "String" and parameter["Description"] for parameter in created.values())
    every_field = {f"{model.group}/{field.alias}" for model in GROUPS for field in model.model_fields.values()}
    assert {name.removeprefix(f"/fondation/{stage}/") for name in created} == every_field
    for group in settings.parameter_groups:  # the values are ones the functions accept
        assert type(group).model_validate(parameter_values(group)) == group


@pytest.mark.parametrize("stage", STAGES)
def test_each_function_reads_exactly_the_parameter_groups_it_uses(synthesised: Synthesised, stage: str) -> None:
    from infra.constructs.functions import API_READS, DISPATCHER_READS, MIGRATIONS_READ

    expected = {
        f"fondation-{stage}-api": set(API_READS),
        f"fondation-{stage}-migrations": set(MIGRATIONS_READ),
        f"fondation-{stage}-dispatcher": set(DISPATCHER_READS),
    }
    for workflow in all_workflows():
        for placeholder, task in workflow.tasks.items():
            expected[f"fondation-{stage}-{workflow.function_name(placeholder)}"] = set(task.parameters)
    assert any(expected.values())
    functions = _function_by_name(synthesised, stage)
    assert set(functions) == set(expected)
    for name, (_, function) in functions.items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = [
            statement
            for policy in synthesised.resources(stage, "AWS::IAM::Policy").values()
            if {"Ref": role} in policy["Properties"].get("Roles", [])
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]
        reads = [statement for statement in statements if any(a.startswith("ssm:") for a in _list(statement["Action"]))]
        paths = {
            json.dumps(resource).rsplit(f":parameter/fondation/{stage}/", 1)[-1].split('"')[0]
            for statement in reads
            for resource in _list(statement["Resource"])
        }
        assert {a for statement in reads for a in _list(statement["Action"])} <= {"ssm:GetParametersByPath"}, name
        assert paths == expected[name], name
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert variables.get("SETTINGS_PATH") == (f"/fondation/{stage}" if expected[name] else None), name


@pytest.mark.parametrize("stage", STAGES)
def test_every_method_but_health_has_the_cognito_authorizer(synthesised: Synthesised, stage: str) -> None:
    methods = synthesised.resources(stage, "AWS::ApiGateway::Method")
    resources = synthesised.resources(stage, "AWS::ApiGateway::Resource")
    declared = [route for route in every_route().values() if not route.local_only]
    routed = [m for m in methods.values() if m["Properties"]["HttpMethod"] != "OPTIONS"]
    assert len(routed) == len(declared)
    for method in routed:
        path = _path_of(method["Properties"]["ResourceId"], resources)
        access = every_route()[(method["Properties"]["HttpMethod"], path)]
        if access.public:
            assert method["Properties"]["AuthorizationType"] == "NONE", path
        else:
            assert method["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS", path
            assert "AuthorizerId" in method["Properties"]
        # a method with scopes takes an access token (the lab's), one without an ID token (a person's)
        assert method["Properties"].get("AuthorizationScopes", []) == sorted(access.scopes), path
        assert "RequestValidatorId" in method["Properties"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_lab_route_takes_the_scope_the_lab_client_is_given(synthesised: Synthesised, stage: str) -> None:
    servers = synthesised.resources(stage, "AWS::Cognito::UserPoolResourceServer").values()
    given = {
        f"{server['Properties']['Identifier']}/{scope['ScopeName']}"
        for server in servers
        for scope in server["Properties"]["Scopes"]
    }
    lab_routes = [route for route in every_route().values() if route.scopes]
    assert [route.resource for route in lab_routes] == ["/lab/orders/{order_id}/result"]
    assert lab_routes[0].scopes <= given


def _path_of(resource_id: Any, resources: dict[str, dict[str, Any]]) -> str:
    if "Fn::GetAtt" in resource_id:  # the root resource
        return "/"
    resource = resources[resource_id["Ref"]]["Properties"]
    parent = _path_of(resource["ParentId"], resources)
    return f"{parent.rstrip('/')}/{resource['PathPart']}"


@pytest.mark.parametrize("stage", STAGES)
def test_the_cluster_is_aurora_mysql_3_serverless_v2_with_iam_auth_and_encryption(
    synthesised: Synthesised, stage: str
) -> None:
    (cluster,) = synthesised.resources(stage, "AWS::RDS::DBCluster").values()
    properties = cluster["Properties"]
    assert properties["Engine"] == "aurora-mysql"
    assert properties["EngineVersion"].startswith("8.0.mysql_aurora.3.")
    assert properties["EnableIAMDatabaseAuthentication"] is True
    assert properties["StorageEncrypted"] is True
    scaling = properties["ServerlessV2ScalingConfiguration"]
    assert scaling["MaxCapacity"] >= scaling["MinCapacity"]
    # never 0: the dispatcher reads every minute, so the cluster could never pause, and a request that
    # met a resume would wait 15 to 30 s (README: "What a stage costs")
    assert scaling["MinCapacity"] >= 0.5
    (instance,) = synthesised.resources(stage, "AWS::RDS::DBInstance").values()
    assert instance["Properties"]["DBInstanceClass"] == "db.serverless"
    (parameters,) = synthesised.resources(stage, "AWS::RDS::DBClusterParameterGroup").values()
    assert parameters["Properties"]["Parameters"]["require_secure_transport"] == "ON"


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_migrations_function_reads_the_clusters_admin_secret(synthesised: Synthesised, stage: str) -> None:
    functions = _function_by_name(synthesised, stage)
    _, migrations = functions[f"fondation-{stage}-migrations"]
    (cluster,) = synthesised.resources(stage, "AWS::RDS::DBCluster").values()
    password = cluster["Properties"]["MasterUserPassword"]["Fn::Join"][1][1]["Ref"]  # the generated secret
    (attachment,) = synthesised.resources(stage, "AWS::SecretsManager::SecretTargetAttachment")
    admin = {password, attachment}
    # the migrations function is told where it is, and no other function is
    told = [
        name
        for name, (_, function) in functions.items()
        if set(re.findall(r'"Ref": "(\w+)"', json.dumps(function["Properties"].get("Environment", {})))) & admin
    ]
    assert told == [f"fondation-{stage}-migrations"]
    # and only its role may read it
    readers = [
        role
        for policy in synthesised.resources(stage, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if set(re.findall(r'"Ref": "(\w+)"', json.dumps(statement.get("Resource")))) & admin
        for role in policy["Properties"].get("Roles", [])
    ]
    assert readers == [{"Ref": migrations["Properties"]["Role"]["Fn::GetAtt"][0]}]


def test_prod_keeps_its_data_and_dev_cleans_up(synthesised: Synthesised) -> None:
    (prod,) = synthesised.resources("prod", "AWS::RDS::DBCluster").values()
    (dev,) = synthesised.resources("dev", "AWS::RDS::DBCluster").values()
    assert prod["Properties"]["DeletionProtection"] is True
    assert prod["DeletionPolicy"] == "Snapshot"
    assert prod["Properties"]["BackupRetentionPeriod"] > dev["Properties"]["BackupRetentionPeriod"]
    assert dev["Properties"]["DeletionProtection"] is False
    assert dev["DeletionPolicy"] == "Delete"
    (prod_pool,) = synthesised.resources("prod", "AWS::Cognito::UserPool").values()
    (dev_pool,) = synthesised.resources("dev", "AWS::Cognito::UserPool").values()
    assert prod_pool["Properties"]["MfaConfiguration"] == "ON"
    assert dev_pool["Properties"]["MfaConfiguration"] == "OPTIONAL"
    assert prod_pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] == 14
    assert prod_pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_prod_keeps_the_admin_secret_its_snapshot_needs(synthesised: Synthesised) -> None:
    for stage, policy in (("prod", "RetainExceptOnCreate"), ("dev", "Delete")):
        (secret,) = [
            resource
            for name, resource in synthesised.resources(stage, "AWS::SecretsManager::Secret").items()
            if "DatabaseClusterSecret" in name
        ]
        assert secret["DeletionPolicy"] == policy


@pytest.mark.parametrize("stage", STAGES)
def test_a_first_deploy_that_rolls_back_leaves_nothing_named_behind(synthesised: Synthesised, stage: str) -> None:
    # a resource kept by a rolled-back creation, with a fixed name, makes the next attempt fail with
    # "already exists": what prod keeps on delete it does not keep on a failed create
    names = ("LogGroupName", "UserPoolName", "BucketName", "Name", "RoleName", "FunctionName", "TopicName")
    kept = {
        logical_id: [name for name in names if name in resource.get("Properties", {})]
        for logical_id, resource in synthesised.templates[stage]["Resources"].items()
        if resource.get("DeletionPolicy") == "Retain"
    }
    assert {logical_id: named for logical_id, named in kept.items() if named} == {}


@pytest.mark.parametrize("stage", STAGES)
def test_the_clusters_log_groups_outlive_it_and_hold_no_statements(synthesised: Synthesised, stage: str) -> None:
    (cluster,) = synthesised.resources(stage, "AWS::RDS::DBCluster").values()
    # the slow-query log would hold statements with their values: personal data
    assert cluster["Properties"]["EnableCloudwatchLogsExports"] == ["error"]
    groups = {
        group["Properties"]["LogGroupName"]: logical_id
        for logical_id, group in synthesised.resources(stage, "AWS::Logs::LogGroup").items()
        if str(group["Properties"].get("LogGroupName", "")).startswith("/aws/rds/cluster/")
    }
    assert set(groups) == {f"/aws/rds/cluster/fondation-{stage}/error"}
    # created before the cluster, deleted after it: RDS cannot make them again while the cluster dies
    assert set(groups.values()) <= set(cluster["DependsOn"])


@pytest.mark.parametrize("stage", STAGES)
def test_every_log_group_has_a_retention_and_every_function_logs_to_the_stages(
    synthesised: Synthesised, stage: str
) -> None:
    groups = synthesised.resources(stage, "AWS::Logs::LogGroup")
    assert [name for name, group in groups.items() if "RetentionInDays" not in group["Properties"]] == []
    (shared,) = [
        name
        for name, group in groups.items()
        if group["Properties"].get("LogGroupName") == f"/fondation/{stage}/functions"
    ]
    ours = _function_by_name(synthesised, stage)
    assert len(ours) > 3
    assert {json.dumps(function["Properties"]["LoggingConfig"]["LogGroup"]) for _, function in ours.values()} == {
        json.dumps({"Ref": shared})
    }
    # each writes its own streams there, no other function's
    policies = synthesised.resources(stage, "AWS::IAM::Policy").values()
    for name, (_, function) in ours.items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        writes = [
            json.dumps(statement["Resource"])
            for policy in policies
            if {"Ref": role} in policy["Properties"].get("Roles", [])
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if "logs:PutLogEvents" in _list(statement["Action"])
        ]
        assert len(writes) == 1, name
        assert writes[0].endswith(f':log-group:/fondation/{stage}/functions:log-stream:*/{name}[*"]]}}'), writes


@pytest.mark.parametrize("stage", STAGES)
def test_the_user_pool_has_the_five_groups_and_no_self_sign_up(synthesised: Synthesised, stage: str) -> None:
    groups = {
        g["Properties"]["GroupName"] for g in synthesised.resources(stage, "AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {"front-desk", "managers", "ops", "lab", "display"}
    clients = {
        c["Properties"]["ClientName"]: c["Properties"]
        for c in synthesised.resources(stage, "AWS::Cognito::UserPoolClient").values()
    }
    assert clients["lab-partner"]["AllowedOAuthFlows"] == ["client_credentials"]
    assert clients["lab-partner"]["GenerateSecret"] is True
    assert "AllowedOAuthFlows" not in clients["front-end"]  # SRP sign-in only
    assert clients["front-end"]["ExplicitAuthFlows"] == [
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",  # only with IAM credentials: the smoke test after a deploy
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_migrations_run_after_all_they_touch_and_before_every_function_that_reads_the_schema(
    synthesised: Synthesised, stage: str
) -> None:
    (trigger_id,) = synthesised.resources(stage, "Custom::Trigger")
    trigger = synthesised.templates[stage]["Resources"][trigger_id]
    functions = _function_by_name(synthesised, stage)
    migrations, _ = functions[f"fondation-{stage}-migrations"]
    # it runs the function's current version: a deploy that ships new code runs the migrations again
    version = synthesised.templates[stage]["Resources"][trigger["Properties"]["HandlerArn"]["Ref"]]
    assert version["Type"] == "AWS::Lambda::Version"
    assert version["Properties"]["FunctionName"] == {"Ref": migrations}
    # and waits for it as long as it may run: a deploy does not give up on a migration still running
    function = synthesised.templates[stage]["Resources"][migrations]
    assert int(trigger["Properties"]["Timeout"]) >= function["Properties"]["Timeout"] * 1000
    # after the cluster, its writer and its secret; every parameter (migration 0003 reads the intake's);
    # the endpoints the migrations call and every security-group rule (the way to them and to the cluster)
    after = set(trigger["DependsOn"])
    touched = [
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::SecretsManager::Secret",
        "AWS::SecretsManager::SecretTargetAttachment",
        "AWS::SSM::Parameter",
        "AWS::EC2::VPCEndpoint",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
    ]
    for resource_type in touched:
        resources = set(synthesised.resources(stage, resource_type))
        if resource_type == "AWS::SecretsManager::Secret":  # the cluster's, not the SMTP user's
            resources = {name for name in resources if "DatabaseClusterSecret" in name}
        assert resources, resource_type
        assert resources <= after, resource_type
    # before every other function: the API, the dispatcher and every task
    others = [logical_id for name, (logical_id, _) in functions.items() if name != f"fondation-{stage}-migrations"]
    resources = synthesised.templates[stage]["Resources"]
    assert len(others) == len(functions) - 1 > 2
    assert [name for name in others if trigger_id not in resources[name].get("DependsOn", [])] == []


@pytest.mark.parametrize("stage", STAGES)
def test_ops_get_a_policy_a_dashboard_and_alarms(synthesised: Synthesised, stage: str) -> None:
    (policy,) = synthesised.resources(stage, "AWS::IAM::ManagedPolicy").values()
    actions = {a for s in policy["Properties"]["PolicyDocument"]["Statement"] for a in _list(s["Action"])}
    assert {"states:RedriveExecution", "states:StopExecution", "states:GetExecutionHistory"} <= actions
    assert synthesised.resources(stage, "AWS::CloudWatch::Dashboard")
    alarms = synthesised.resources(stage, "AWS::CloudWatch::Alarm").values()
    metrics = {alarm["Properties"].get("MetricName") for alarm in alarms}
    assert {"ExecutionsFailed", "ExecutionsTimedOut", "Errors"} <= metrics
    assert all(alarm["Properties"]["AlarmActions"] for alarm in alarms)


@pytest.mark.parametrize("stage", STAGES)
def test_a_business_outcome_pages_nobody_but_an_unexpected_error_of_any_function_does(
    synthesised: Synthesised, stage: str
) -> None:
    # A task raises a ticket's end or a duplicate for its workflow to catch: Lambda counts it in Errors
    functions = synthesised.resources(stage, "AWS::Lambda::Function")
    tasks = {key for key, function in functions.items() if ".tasks." in function["Properties"]["Handler"]}
    assert tasks
    alarms = synthesised.resources(stage, "AWS::CloudWatch::Alarm").values()
    errors = {
        dimension["Value"]["Ref"]
        for alarm in alarms
        if alarm["Properties"].get("MetricName") == "Errors"
        for dimension in alarm["Properties"]["Dimensions"]
    }
    assert errors
    assert not errors & tasks  # Lambda's Errors pages for the API, the migrations and the dispatcher only
    # what every function counts itself, an error nobody planned, pages from any function of the stage,
    # whichever workflow brings it: one query over the stage's namespace, by function
    queries = [m["Expression"] for alarm in alarms for m in alarm["Properties"].get("Metrics", [])]
    assert f'SELECT SUM(UnexpectedErrors) FROM SCHEMA("Fondation/{stage}", service)' in queries  # noqa: S608
    namespaces = {
        function["Properties"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
        for _, function in _function_by_name(synthesised, stage).values()
    }
    assert namespaces == {f"Fondation/{stage}"}


@pytest.mark.parametrize("stage", STAGES)
def test_api_gateway_answers_an_undeclared_route_as_the_local_gateway_does(
    synthesised: Synthesised, stage: str
) -> None:
    from local.gateway import NO_SUCH_ROUTE

    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synthesised.resources(stage, "AWS::ApiGateway::GatewayResponse").values()
    }
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert (int(missing["StatusCode"]), json.loads(missing["ResponseTemplates"]["application/json"])) == NO_SUCH_ROUTE
    assert responses["THROTTLED"]["StatusCode"] == "429"
    assert responses["BAD_REQUEST_BODY"]["StatusCode"] == "400"
    # every answer API Gateway gives by itself carries the headers the function's answers carry
    from lambdas.api.app import SECURITY_HEADERS

    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for response in responses.values():
        for header, value in SECURITY_HEADERS.items():
            assert response["ResponseParameters"][f"gatewayresponse.header.{header}"] == f"'{value}'"
        assert all(name.count("gatewayresponse.") == 1 for name in response["ResponseParameters"])


@pytest.mark.parametrize("stage", STAGES)
def test_the_console_is_deployed_private_behind_cloudfront_with_its_config(
    synthesised: Synthesised, stage: str
) -> None:
    [distribution] = synthesised.resources(stage, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    [origin] = [o for o in config["Origins"] if o["Id"] == config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert "OriginAccessControlId" in origin  # the bucket is read by CloudFront only
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    buckets = synthesised.resources(stage, "AWS::S3::Bucket").values()
    for bucket in buckets:
        blocked = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert all(
            blocked[flag]
            for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        )
    [deployment] = synthesised.resources(stage, "Custom::CDKBucketDeployment").values()
    markers = json.dumps(deployment["Properties"]["SourceMarkers"])
    for reference in ("AuthUsersConsole", "ConsoleDistribution", "/console/"):
        assert reference in markers, reference  # config.json names the console's client and its URL
    clients = {
        client["Properties"]["ClientName"]: client["Properties"]
        for client in synthesised.resources(stage, "AWS::Cognito::UserPoolClient").values()
    }
    console, screens = clients["console"], clients["screens"]
    assert (console["AllowedOAuthFlows"], console["GenerateSecret"]) == (["code"], False)  # PKCE from a page
    assert "ConsoleDistribution" in json.dumps(console["CallbackURLs"])
    # a person's session ends with the day; a waiting room's screen stays signed in for weeks
    assert (console["RefreshTokenValidity"], console["TokenValidityUnits"]["RefreshToken"]) == (720, "minutes")
    assert (screens["AllowedOAuthFlows"], screens["GenerateSecret"]) == (["code"], False)
    assert (screens["RefreshTokenValidity"], screens["TokenValidityUnits"]["RefreshToken"]) == (129600, "minutes")
    assert screens["CallbackURLs"] == console["CallbackURLs"]
    assert "AuthUsersScreens" in markers  # config.json names the screens' client too


@pytest.mark.parametrize("stage", STAGES)
def test_the_console_deployed_is_the_console_served_locally(synthesised: Synthesised, stage: str) -> None:
    [deployment] = synthesised.resources(stage, "Custom::CDKBucketDeployment").values()
    keys = deployment["Properties"]["SourceObjectKeys"]  # the assets' zips, named by their folders' hashes
    sources = [synthesised.outdir / f"asset.{key.removesuffix('.zip')}" / "console" for key in keys]
    deployed = {
        path.relative_to(source).as_posix(): path for source in sources for path in source.rglob("*") if path.is_file()
    }
    served = {name.removeprefix("/"): path for name, path in FILES.items() if name != "/"}
    assert {"index.html", "app.js", "console.css", "vendor/elk.js"} <= set(served)
    assert set(deployed) == {*served, "config.json"}  # and the stage's config, written by the stack
    assert '"api":"/api"' in deployed.pop("config.json").read_text()  # on the console's own origin
    for name, path in deployed.items():
        assert path.read_bytes() == served[name].read_bytes(), name


@pytest.mark.parametrize("stage", STAGES)
def test_the_console_calls_the_api_on_its_own_origin_so_no_answer_needs_cors(
    synthesised: Synthesised, stage: str
) -> None:
    [distribution] = synthesised.resources(stage, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    [behavior] = config["CacheBehaviors"]
    assert behavior["PathPattern"] == "/api/*"
    [origin] = [o for o in config["Origins"] if o["Id"] == behavior["TargetOriginId"]]
    assert "ApiRest" in json.dumps(origin["DomainName"])  # the stage's API Gateway
    assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert behavior["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    assert {"POST", "PUT", "DELETE"} <= set(behavior["AllowedMethods"])
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert behavior["ResponseHeadersPolicyId"] == config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
    # and no error is kept for the next caller (CloudFront keeps them 10 s by default)
    kept = {r["ErrorCode"]: r["ErrorCachingMinTTL"] for r in config["CustomErrorResponses"]}
    assert kept == dict.fromkeys((400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504), 0)
    # so API Gateway has no preflight to answer, and the function no origin to allow
    methods = synthesised.resources(stage, "AWS::ApiGateway::Method").values()
    assert [m for m in methods if m["Properties"]["HttpMethod"] == "OPTIONS"] == []
    api = _function_by_name(synthesised, stage)[f"fondation-{stage}-api"][1]
    assert "ALLOWED_ORIGINS" not in api["Properties"]["Environment"]["Variables"]
    # and the page may call its own origin only (and the sign-in's)
    [headers] = synthesised.resources(stage, "AWS::CloudFront::ResponseHeadersPolicy").values()
    policy = json.dumps(headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"])
    assert "connect-src 'self' https://fondation-" in policy
    assert "execute-api" not in policy


@pytest.mark.parametrize(
    ("uri", "to_the_api"),
    [
        ("/api/clients", "/clients"),
        ("/api/clients/c-1/documents", "/clients/c-1/documents"),
        ("/api/", "/"),
        # a path CloudFront routed here only once normalised is refused, not cut at a wrong place
        ("/console/../api/health", 404),
        ("/%61pi/health", 404),
        ("/a/../api/clients", 404),
    ],
)
def test_cloudfront_hands_the_api_its_paths_without_the_prefix(uri: str, to_the_api: str | int) -> None:
    import subprocess

    from infra.constructs.console import API_ROUTING

    probe = f"{API_ROUTING}\nvar r = handler({{request: {{uri: {json.dumps(uri)}}}}});"
    probe += "process.stdout.write(JSON.stringify(r.statusCode || r.uri));"
    ran = subprocess.run(["node", "-e", probe], capture_output=True, text=True, check=True)
    assert json.loads(ran.stdout) == to_the_api


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_function_has_one_permission_for_the_stages_methods_and_none_for_test_calls(
    synthesised: Synthesised, stage: str
) -> None:
    permissions = synthesised.resources(stage, "AWS::Lambda::Permission").values()
    api_id, _ = _function_by_name(synthesised, stage)[f"fondation-{stage}-api"]
    api_arn = {"Fn::GetAtt": [api_id, "Arn"]}
    [grant] = [p["Properties"] for p in permissions if p["Properties"]["FunctionName"] == api_arn]
    assert grant["Principal"] == "apigateway.amazonaws.com"
    # the deployed stage's methods, not the console's test-invoke-stage
    assert json.dumps(grant["SourceArn"]).endswith(f'"/{stage}/*/*"]]}}')
    methods = synthesised.resources(stage, "AWS::ApiGateway::Method").values()
    assert len(methods) > 40


# CloudFormation takes 500 resources a stack: past 300, a new workflow (about twenty) or a dozen
# routes no longer leave room enough; this fails first, while there is time to split the stack.
ROOM_TO_GROW = 300


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_leaves_room_for_new_workflows_under_cloudformations_limit(
    synthesised: Synthesised, stage: str
) -> None:
    assert len(synthesised.templates[stage]["Resources"]) <= ROOM_TO_GROW
