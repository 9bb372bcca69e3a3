"""The stage's settings in SSM Parameter Store: ``/fondation/<stage>/<group>/<name>``, one String
parameter each, created with the stage's values; a function reads exactly the groups it is granted.

Operators may change a value in Parameter Store: functions use it within five minutes, no deploy.
A deploy sets a parameter only when its value in ``infra/settings.py`` changed: an operator's change
stays until then (make it in ``infra/settings.py`` too, or the next change there replaces it).
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.settings import StageSettings
from lambdas.shared.parameters import GROUPS, ParameterGroup


def parameter_values(group: ParameterGroup) -> dict[str, str]:
    """{name: value} as Parameter Store holds them (strings)."""
    return {
        field.alias or name: str(value)
        for name, field in type(group).model_fields.items()
        if (value := getattr(group, name)) is not None
    }


class Parameters(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.path = settings.parameter_path
        for group in settings.parameter_groups:
            fields = {field.alias: field for field in type(group).model_fields.values()}
            for name, value in parameter_values(group).items():
                ssm.StringParameter(
                    self,
                    f"{group.group}-{name}",
                    parameter_name=f"{self.path}/{group.group}/{name}",
                    string_value=value,
                    description=fields[name].description,
                    tier=ssm.ParameterTier.STANDARD,
                )

    def grant_read(self, function: lambda_.Function, groups: Iterable[str]) -> None:
        """The function reads these groups' paths, and no other parameter."""
        groups = sorted(set(groups))
        unknown = set(groups).difference(model.group for model in GROUPS)
        if unknown:
            raise ValueError(
                f"no parameter group {', '.join(sorted(unknown))}: known are {', '.join(g.group for g in GROUPS)}"
            )
        if not groups:
            return
        function.add_environment("SETTINGS_PATH", self.path)
        stack = Stack.of(self)
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParametersByPath"],
                resources=[
                    stack.format_arn(service="ssm", resource="parameter", resource_name=f"{self.path[1:]}/{group}")
                    for group in groups
                ],
            )
        )
