"""The smoke test's Cognito side against moto's user pool (its steps against the local runtime are in
tests/e2e/test_smoke.py): the throwaway user made, signed in with both groups, and deleted whatever befell."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from stage.smoke import GROUPS, Api, CognitoIdentity, Smoke, StepFailed, new_password, totp

REGION = "eu-west-3"
# RFC 6238's SHA-1 key, "12345678901234567890", in base32 as Cognito gives a secret
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.fixture
def cognito() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("cognito-idp", region_name=REGION)


def user_pool(cognito: Any, flows: list[str], groups: tuple[str, ...] = GROUPS) -> tuple[str, str]:
    """A pool shaped like the stack's: prod's password policy, its groups, a front-end client."""
    policy = {
        "MinimumLength": 14,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
    }
    pool = cognito.create_user_pool(PoolName="fondation-dev", Policies={"PasswordPolicy": policy})["UserPool"]["Id"]
    for group in groups:
        cognito.create_group(UserPoolId=pool, GroupName=group)
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="front-end", ExplicitAuthFlows=flows)
    return pool, client["UserPoolClient"]["ClientId"]


def users(cognito: Any, pool: str) -> list[str]:
    return [user["Username"] for user in cognito.list_users(UserPoolId=pool)["Users"]]


def test_a_throwaway_user_signs_in_with_both_groups_and_is_deleted(cognito: Any) -> None:
    # Given the stack's pool, its front-end client allowing the admin flow
    pool, client = user_pool(cognito, ["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    identity = CognitoIdentity(cognito, pool, client, "smoke-1")
    # When the smoke test signs in
    token = identity.sign_in()
    # Then it holds the person's ID token, in the groups that onboard, read executions and erase
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["token_use"], claims["cognito:username"]) == ("id", "smoke-1")
    assert sorted(claims["cognito:groups"]) == sorted(GROUPS)
    assert cognito.admin_get_user(UserPoolId=pool, Username="smoke-1")["UserStatus"] == "CONFIRMED"
    # And signing out deletes the user
    assert identity.sign_out() == "signed out and deleted smoke-1"
    assert users(cognito, pool) == []
    assert identity.sign_out() is None


def test_a_client_without_the_admin_flow_is_refused_before_any_user_is_made(cognito: Any) -> None:
    pool, client = user_pool(cognito, ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    identity = CognitoIdentity(cognito, pool, client, "smoke-2")
    with pytest.raises(StepFailed, match=r"admin_user_password=True") as refused:
        identity.sign_in()
    assert "it allows ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH" in str(refused.value)
    assert users(cognito, pool) == []


class NoDesk(Api):
    """An API that answers /health and nothing else: the smoke test fails at its first request."""

    def call(self, method: str, path: str, body: Any = None, headers: Any = None) -> tuple[int, Any]:
        return (200, {"status": "ok"}) if path == "/health" else (503, {"message": "Service Unavailable"})


def test_a_user_half_made_is_deleted_and_the_run_fails_naming_the_step(cognito: Any) -> None:
    # Given a pool without the managers group: adding the user to it fails after the user exists
    pool, client = user_pool(cognito, ["ALLOW_ADMIN_USER_PASSWORD_AUTH"], groups=("front-desk",))
    out = io.StringIO()
    # When the smoke test runs
    code = Smoke(NoDesk("https://api.example"), CognitoIdentity(cognito, pool, client, "smoke-3"), out).main()
    # Then it fails at signing in, and the user is gone
    assert code == 1
    assert "FAIL" in out.getvalue().splitlines()[1]
    assert re.search(r"^ok +[0-9.]+s  remove the user: signed out and deleted smoke-3$", out.getvalue(), re.MULTILINE)
    assert out.getvalue().splitlines()[-1] == "smoke test FAILED at: sign in"
    assert users(cognito, pool) == []


def test_a_failed_onboarding_still_deletes_the_user(cognito: Any) -> None:
    pool, client = user_pool(cognito, ["ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    out = io.StringIO()
    identity = CognitoIdentity(cognito, pool, client, "smoke-4")
    code = Smoke(NoDesk("https://api.example"), identity, out, poll_seconds=0).main()
    assert code == 1
    assert "onboard a test client: POST /clients answered 503" in out.getvalue()
    # a 503 may come after the client was made: the same request is sent again in the clean-up, to find it
    assert "find the test client (cleaning up): POST /clients answered 503" in out.getvalue()
    assert "a client may be left, under Idempotency-Key smoke-" in out.getvalue()
    assert out.getvalue().splitlines()[-1].startswith("smoke test FAILED at: onboard a test client")
    assert users(cognito, pool) == []


def test_a_stage_that_requires_mfa_gets_the_user_a_totp_device() -> None:
    # Given a pool that requires MFA: signing in asks to set it up (moto's admin flow never does: stubbed)
    cognito = boto3.client("cognito-idp", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    user = {"UserPoolId": "pool", "Username": "smoke-5"}
    tokens = {"AuthenticationResult": {"IdToken": "id-token", "AccessToken": "a", "ExpiresIn": 3600}}
    with Stubber(cognito) as stubbed:
        stubbed.add_response(
            "describe_user_pool_client",
            {"UserPoolClient": {"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"]}},
        )
        stubbed.add_response("admin_create_user", {}, {**user, "TemporaryPassword": ANY, "MessageAction": "SUPPRESS"})
        stubbed.add_response("admin_set_user_password", {}, {**user, "Password": ANY, "Permanent": True})
        for group in GROUPS:
            stubbed.add_response("admin_add_user_to_group", {}, {**user, "GroupName": group})
        stubbed.add_response("admin_initiate_auth", {"ChallengeName": "MFA_SETUP", "Session": "session-1-xxxxxxxxxxxx"})
        stubbed.add_response(
            "associate_software_token",
            {"SecretCode": RFC_SECRET, "Session": "session-2-xxxxxxxxxxxx"},
            {"Session": "session-1-xxxxxxxxxxxx"},
        )
        stubbed.add_response(
            "verify_software_token",
            {"Status": "SUCCESS", "Session": "session-3-xxxxxxxxxxxx"},
            {"Session": "session-2-xxxxxxxxxxxx", "UserCode": ANY, "FriendlyDeviceName": "smoke"},
        )
        stubbed.add_response(
            "admin_respond_to_auth_challenge",
            tokens,
            {
                "UserPoolId": "pool",
                "ClientId": "client",
                "ChallengeName": "MFA_SETUP",
                "Session": "session-3-xxxxxxxxxxxx",
                "ChallengeResponses": {"USERNAME": "smoke-5"},
            },
        )
        # When the smoke test signs in, then the ID token comes after the TOTP device is verified
        assert CognitoIdentity(cognito, "pool", "client", "smoke-5").sign_in() == "id-token"
        stubbed.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("at", "digits", "code"),
    [(59, 8, "94287082"), (1111111109, 8, "07081804"), (1234567890, 8, "89005924"), (59, 6, "287082")],
)
def test_totp_gives_rfc_6238s_codes(at: int, digits: int, code: str) -> None:
    assert totp(RFC_SECRET, at=at, digits=digits) == code


def test_totp_gives_the_code_cognito_verifies(cognito: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto checks the code against its secret with cryptography's TOTP when told to
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    pool, client = user_pool(cognito, ["ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    identity = CognitoIdentity(cognito, pool, client, "smoke-6")
    identity.sign_in()
    password = new_password()
    cognito.admin_set_user_password(UserPoolId=pool, Username="smoke-6", Password=password, Permanent=True)
    access = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "smoke-6", "PASSWORD": password},
    )["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=access)["SecretCode"]
    verified = cognito.verify_software_token(AccessToken=access, UserCode=totp(secret))
    assert verified["Status"] == "SUCCESS"
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        cognito.verify_software_token(AccessToken=access, UserCode=str((int(totp(secret)) + 1) % 10**6).zfill(6))


def test_a_new_password_has_every_class_a_policy_may_require() -> None:
    for _ in range(50):
        password = new_password()
        assert len(password) == 32
        assert any(c.islower() for c in password)
        assert any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)
        assert any(not c.isalnum() for c in password)
