"""The Cognito user pool: no self sign-up, the five groups, a front-end client and the lab's client."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.nag import acknowledge
from infra.settings import StageSettings
from lambdas.api.access import LAB_RESULTS_SCOPE, Group

GROUP_DESCRIPTIONS = {
    Group.FRONT_DESK: "Front desk: onboard clients, run the queue, create and update orders",
    Group.MANAGERS: "Managers: read everything, watch executions, erase personal data on request",
    Group.OPS: "Ops: find failed executions, redrive or stop them",
    Group.LAB: "Lab partner: post lens order results (machine client)",
    Group.DISPLAY: "Waiting-room display: a site's screen, which reads the board and nothing else",
}
RESOURCE_SERVER, LAB_SCOPE = LAB_RESULTS_SCOPE.split("/")  # the API's machine routes name fondation/lab-results


class Auth(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=f"fondation-{settings.name}",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=settings.password_min_length,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED if settings.mfa_required else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            removal_policy=settings.data_removal_policy,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "no Plus feature plan (threat protection) for a small staff-only pool: no self sign-up, strong passwords, "
            "MFA required in prod",
        )
        if not settings.mfa_required:
            acknowledge(
                self.user_pool, "AwsSolutions-COG2", f"{settings.name}: MFA optional for test users; prod requires it"
            )
        for group, description in GROUP_DESCRIPTIONS.items():
            cognito.CfnUserPoolGroup(
                self,
                f"Group{group.value.title().replace('-', '')}",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=group.value,
                description=description,
            )
        self.front_end = self.user_pool.add_client(
            "FrontEnd",
            user_pool_client_name="front-end",
            # SRP for people; the admin flow needs IAM credentials, for the deploy's smoke test alone
            auth_flows=cognito.AuthFlow(user_srp=True, admin_user_password=True),
            disable_o_auth=True,  # SRP sign-in only: no implicit or code grant to leak tokens through
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
        # the lab's machine client gets its tokens from the pool's OAuth endpoint
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"fondation-{settings.name}")
        )
        lab_scope = cognito.ResourceServerScope(scope_name=LAB_SCOPE, scope_description="Post lens order results")
        lab_server = self.user_pool.add_resource_server(
            "Lab", identifier=RESOURCE_SERVER, scopes=[lab_scope], user_pool_resource_server_name="fondation-api"
        )
        self.lab = self.user_pool.add_client(
            "LabClient",
            user_pool_client_name="lab-partner",
            generate_secret=True,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(client_credentials=True),
                scopes=[cognito.OAuthScope.resource_server(lab_server, lab_scope)],
            ),
            access_token_validity=Duration.hours(1),
        )
