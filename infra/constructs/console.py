"""The managers' and ops' console on a stage: its files in a private bucket behind CloudFront (at
/console/, as locally), the API under /api/ on the same origin, its config.json naming them and the
user pool, and a user pool client for it (the managed login, authorization code with PKCE, no
secret: a page cannot keep one)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.constructs.auth import Auth
from infra.nag import acknowledge
from infra.packaging import console_directory
from infra.settings import StageSettings

ACCESS_LOG_DAYS = 90  # who fetched the console, kept as long as an incident review may need

# "/" and "/console" lead to the console; "/console/" is its page (the files' links are relative)
ROUTING = """
function handler(event) {
  var uri = event.request.uri;
  if (uri === "/" || uri === "/console") {
    return { statusCode: 302, statusDescription: "Found", headers: { location: { value: "/console/" } } };
  }
  if (uri === "/console/") {
    event.request.uri = "/console/index.html";
  }
  return event.request;
}
"""

# The API on the console's origin: no CORS, so no preflight before a call and every answer readable,
# API Gateway's own ones too (a 401 says the session expired, not "network error").
API_PATH = "/api"
SCREEN_SESSION = Duration.days(90)  # a screen signed in once a season; its token renews itself hourly
CACHED_ERRORS = (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504)  # the ones CloudFront caches
API_ROUTING = f"""
function handler(event) {{
  var uri = event.request.uri;
  if (uri.indexOf("{API_PATH}/") !== 0) {{
    return {{ statusCode: 404, statusDescription: "Not Found" }};
  }}
  event.request.uri = uri.substring({len(API_PATH)});
  return event.request;
}}
"""


class Console(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StageSettings, auth: Auth, api: apigateway.RestApi
    ) -> None:
        super().__init__(scope, construct_id)
        removal = settings.data_removal_policy
        region = Stack.of(self).region
        self.logs = s3.Bucket(
            self,
            "Logs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,  # CloudFront's logs need ACLs
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
            removal_policy=removal,
            auto_delete_objects=removal == RemovalPolicy.DESTROY,
        )
        acknowledge(self.logs, "AwsSolutions-S1", "the access-log bucket itself: logging it would loop")
        self.site = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="site/",
            removal_policy=RemovalPolicy.DESTROY,  # the files are rebuilt from the repository at each deploy
            auto_delete_objects=True,
        )
        cognito_domain = f"https://fondation-{settings.name}.auth.{region}.amazoncognito.com"
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=(
                        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
                        f"connect-src 'self' {cognito_domain}"
                    ),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"fondation-{settings.name} console",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.site),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=cloudfront.Function(
                            self, "Routing", code=cloudfront.FunctionCode.from_inline(ROUTING)
                        ),
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
            ),
            additional_behaviors={
                f"{API_PATH}/*": cloudfront.BehaviorOptions(
                    origin=origins.RestApiOrigin(api),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    # nothing cached; every header but Host (API Gateway wants its own), Authorization
                    # included, which CloudFront forwards only when nothing is cached
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,  # the origin's: HSTS, no framing, no sniffing
                    function_associations=[
                        cloudfront.FunctionAssociation(
                            function=cloudfront.Function(
                                self, "ApiRouting", code=cloudfront.FunctionCode.from_inline(API_ROUTING)
                            ),
                            event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                        )
                    ],
                )
            },
            # CloudFront would keep an error for 10 s by default: one person's 404 or 503 served to another
            error_responses=[
                cloudfront.ErrorResponse(http_status=status, ttl=Duration.seconds(0)) for status in CACHED_ERRORS
            ],
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
        )
        acknowledge(self.distribution, "AwsSolutions-CFR1", "staff sign in from wherever they work: no geo restriction")
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "static files, and the API whose every route but /health needs a Cognito token and whose stage is "
            "throttled; no WAF",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "the default cloudfront.net certificate: its TLS floor is CloudFront's own until a domain is attached",
        )
        self.url = f"https://{self.distribution.distribution_domain_name}/console/"
        self.client = self._page_client(auth, "Console", "console", session=Duration.hours(12), email=True)
        # a waiting room's screen stays signed in for weeks: its own client, whose refresh token the
        # screen keeps (a person's session ends with the day); a screen signs in as a display user
        self.screens = self._page_client(auth, "Screens", "screens", session=SCREEN_SESSION, email=False)
        self._publish(settings, cognito_domain)

    def _page_client(
        self, auth: Auth, construct_id: str, name: str, *, session: Duration, email: bool
    ) -> cognito.UserPoolClient:
        """A client the page signs in through: the authorization code with PKCE (no secret in a
        page), back to the console's address; ``session`` is how long its refresh token lasts."""
        scopes = [cognito.OAuthScope.OPENID, *([cognito.OAuthScope.EMAIL] if email else []), cognito.OAuthScope.PROFILE]
        return auth.user_pool.add_client(
            construct_id,
            user_pool_client_name=name,
            generate_secret=False,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=scopes,
                callback_urls=[self.url],
                logout_urls=[self.url],
            ),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=session,
        )

    def _publish(self, settings: StageSettings, cognito_domain: str) -> None:
        """The files, and the config that points them at the stage's API and user pool."""
        config = {
            "signIn": "cognito",
            "api": API_PATH,
            "domain": cognito_domain,
            "clientId": self.client.user_pool_client_id,
            "screenClientId": self.screens.user_pool_client_id,
            "redirectUri": self.url,
        }
        deployment = s3deploy.BucketDeployment(
            self,
            "Files",
            sources=[
                s3deploy.Source.asset(str(console_directory())),
                s3deploy.Source.json_data("console/config.json", config),
            ],
            destination_bucket=self.site,
            distribution=self.distribution,
            distribution_paths=["/console/*"],
            prune=True,
            log_group=logs.LogGroup(  # the stage's retention, and gone with the stack like the others
                self,
                "FilesLogs",
                retention=settings.log_retention,
                removal_policy=settings.data_removal_policy,
            ),
        )
        # CDK's own function that copies the files at deploy time: its role and runtime are CDK's
        acknowledge(
            deployment.handler_role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's BucketDeployment function writes its logs with the basic execution role",
        )
        stack = Stack.of(self)
        bucket = stack.get_logical_id(self.site.node.default_child)  # type: ignore[arg-type]
        for finding in (
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            f"Resource::arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{stack.region}/*",
            f"Resource::<{bucket}.Arn>/*",
            "Resource::*",  # cloudfront:CreateInvalidation takes no narrower resource here
        ):
            acknowledge(
                deployment.handler_role,
                f"AwsSolutions-IAM5[{finding}]",
                "CDK's BucketDeployment function reads its asset, replaces the console's files, invalidates them",
            )
        for child in stack.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                acknowledge(child, "AwsSolutions-L1", "CDK's BucketDeployment function: CDK chooses its runtime")
