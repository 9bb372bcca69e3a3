"""The REST API, one resource per route the API declares, the Cognito authorizer on all but public ones."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge
from infra.settings import StageSettings
from lambdas.api import errors
from lambdas.api.access import RouteAccess
from lambdas.api.app import SECURITY_HEADERS
from lambdas.api.routes import every_route


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        handler: lambda_.IFunction,
        user_pool: cognito.IUserPool,
    ) -> None:
        """No CORS: the console calls the API on its own origin (``Console``), so a browser never
        sends a preflight, and reads every answer, API Gateway's own ones (a 401, a 429) too."""
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=settings.log_retention, removal_policy=settings.data_removal_policy
        )
        self.rest_api = apigateway.RestApi(
            self,
            "Rest",
            rest_api_name=f"fondation-{settings.name}",
            description="Fondation backend",
            cloud_watch_role=True,
            deploy_options=apigateway.StageOptions(
                stage_name=settings.name,
                throttling_rate_limit=settings.throttle_rate,
                throttling_burst_limit=settings.throttle_burst,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies hold personal data
                tracing_enabled=True,
            ),
            endpoint_types=[apigateway.EndpointType.REGIONAL],
        )
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(
            self, "Cognito", cognito_user_pools=[user_pool], identity_source="method.request.header.Authorization"
        )
        self.validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self._json_object = self.rest_api.add_model(
            "JsonObject",
            content_type="application/json",
            schema=apigateway.JsonSchema(
                schema=apigateway.JsonSchemaVersion.DRAFT4, type=apigateway.JsonSchemaType.OBJECT
            ),
            description="Any JSON object; the function validates the fields and names the wrong ones",
        )
        self._add_gateway_responses()
        acknowledge(
            self.rest_api.deployment_stage,
            "AwsSolutions-APIG3",
            "no WAF: every route but /health needs a Cognito token and the stage is throttled; revisit if the API "
            "is ever opened to the public",
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "the account-level role API Gateway needs to write its logs; AWS's own policy is the documented one",
        )
        integration = self._lambda_proxy(handler, settings.name)
        self.methods: dict[tuple[str, str], apigateway.Method] = {}
        for route in sorted(every_route().values(), key=lambda route: (route.resource, route.method)):
            if not route.local_only:
                self.methods[(route.method, route.resource)] = self._add_method(route, integration)

    def _lambda_proxy(self, handler: lambda_.IFunction, stage: str) -> apigateway.Integration:
        """The function as every method's proxy integration, with one permission for the stage's
        methods (CDK's LambdaIntegration adds two per method, a fifth of CloudFormation's 500
        resources, and lets the console's test calls in)."""
        uri = Stack.of(self).format_arn(
            service="apigateway",
            account="lambda",
            resource="path",
            resource_name=f"2015-03-31/functions/{handler.function_arn}/invocations",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        handler.add_permission(
            "InvokedByTheApi",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.rest_api.arn_for_execute_api(method="*", path="/*", stage=stage),
        )
        return apigateway.Integration(
            type=apigateway.IntegrationType.AWS_PROXY, integration_http_method="POST", uri=uri
        )

    def _add_method(self, route: RouteAccess, integration: apigateway.Integration) -> apigateway.Method:
        resource = self.rest_api.root.resource_for_path(route.resource)
        parameters = {f"method.request.path.{name}": True for name in _path_parameters(route.resource)}
        options: dict[str, Any] = {"request_validator": self.validator, "request_parameters": parameters or None}
        if route.method in ("POST", "PUT", "PATCH"):
            options["request_models"] = {"application/json": self._json_object}
        if not route.public:
            options.update(authorizer=self.authorizer, authorization_type=apigateway.AuthorizationType.COGNITO)
        if route.scopes:  # an access token with one of these, not an ID token: the lab's machine client
            options["authorization_scopes"] = sorted(route.scopes)
        method = resource.add_method(route.method, integration, **options)
        if route.public:
            reason = f"{route.method} {route.resource} is public by design (the README's matrix): it reveals no data"
            acknowledge(method, "AwsSolutions-APIG4", reason)
            acknowledge(method, "AwsSolutions-COG4", reason)
        return method

    def _add_gateway_responses(self) -> None:
        """API Gateway's own answers in the API's error format (401 keeps the authorizer's message),
        all of them with the security headers the function puts on its own answers, readable cross-origin."""
        for name, response_type, (status, code, message), headers in (
            ("NoSuchRoute", apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN, errors.NO_SUCH_ROUTE, {}),
            ("BadRequestBody", apigateway.ResponseType.BAD_REQUEST_BODY, errors.BAD_REQUEST_BODY, {}),
            ("Throttled", apigateway.ResponseType.THROTTLED, errors.THROTTLED, {"Retry-After": "1"}),
        ):
            self.rest_api.add_gateway_response(
                name,
                type=response_type,
                status_code=str(status),
                response_headers=_gateway_headers({"Content-Type": "application/json", **headers}),
                templates={"application/json": json.dumps(errors.error_body(code, message))},
            )
        for name, response_type in (
            ("Default4xx", apigateway.ResponseType.DEFAULT_4_XX),
            ("Default5xx", apigateway.ResponseType.DEFAULT_5_XX),
        ):  # every other answer (401 included) keeps API Gateway's body, with the same headers
            self.rest_api.add_gateway_response(name, type=response_type, response_headers=_gateway_headers({}))


def _gateway_headers(headers: dict[str, str]) -> dict[str, str]:
    """Header values as a gateway response declares them: quoted literals (CDK adds the parameter prefix)."""
    return {name: f"'{value}'" for name, value in {**headers, **SECURITY_HEADERS}.items()}


def _path_parameters(resource: str) -> list[str]:
    return [part[1:-1] for part in resource.split("/") if part.startswith("{") and part.endswith("}")]
