"""The local issuer signs Cognito-shaped ID tokens; verification refuses what the authorizer refuses."""

import subprocess
import sys
import time

import jwt
import pytest

from local.tokens import AUDIENCE, ISSUER, KEY_ID, InvalidToken, KeyPair, issue_token, subject_of, verify_token


def test_token_is_shaped_like_a_cognito_id_token(token_keys: KeyPair) -> None:
    token = issue_token(token_keys, ["front-desk", "managers"], "awa")
    claims = verify_token(token_keys, token)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": "local-1", "typ": "JWT"}
    assert claims["cognito:groups"] == ["front-desk", "managers"]
    assert claims["cognito:username"] == "awa"
    assert claims["sub"] == subject_of("awa")
    assert (claims["token_use"], claims["aud"], claims["iss"]) == ("id", AUDIENCE, ISSUER)
    assert claims["email"] == "awa@fondation.local"
    assert claims["exp"] - claims["iat"] == 3600


def test_the_same_user_keeps_the_same_sub(token_keys: KeyPair) -> None:
    first = verify_token(token_keys, issue_token(token_keys, ["ops"], "sam"))
    second = verify_token(token_keys, issue_token(token_keys, ["ops"], "sam"))
    assert first["sub"] == second["sub"] != subject_of("someone-else")


def _reissue(keys: KeyPair, **changes: object) -> str:
    claims = jwt.decode(issue_token(keys, ["ops"], "x"), options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, keys.private_pem, algorithm="RS256", headers={"kid": KEY_ID})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"aud": "another-app"}, "audience"),
        ({"iss": "https://cognito-idp.eu-west-3.amazonaws.com/other"}, "issuer"),
        ({"token_use": "access"}, "an access token where a person's ID token is required"),
        ({"cognito:groups": ["front-desk,managers"]}, "cognito:groups is not a list of group names"),
        ({"cognito:groups": ["[managers]"]}, "cognito:groups is not a list of group names"),
        ({"cognito:groups": ["front desk"]}, "cognito:groups is not a list of group names"),
        ({"cognito:groups": "managers"}, "cognito:groups is not a list of group names"),
        ({"cognito:groups": [["managers"]]}, "cognito:groups is not a list of group names"),
    ],
    ids=["expired", "audience", "issuer", "access-token", "comma", "brackets", "space", "text", "nested"],
)
def test_tokens_the_authorizer_would_refuse_are_refused(token_keys: KeyPair, changes: dict, reason: str) -> None:
    with pytest.raises(InvalidToken, match=f"(?i){reason}"):
        verify_token(token_keys, _reissue(token_keys, **changes))


def test_a_token_signed_by_another_key_is_refused(token_keys: KeyPair, tmp_path) -> None:
    other = KeyPair.load_or_create(tmp_path)
    with pytest.raises(InvalidToken, match="signature is not this runtime's issuer's"):
        verify_token(token_keys, issue_token(other, ["ops"], "x"))


def test_unsigned_and_garbage_tokens_are_refused(token_keys: KeyPair) -> None:
    unsigned = jwt.encode({"sub": "x", "token_use": "id"}, key=None, algorithm="none")
    for token in (unsigned, "", "not.a.token"):
        with pytest.raises(InvalidToken):
            verify_token(token_keys, token)


def test_key_pair_is_kept_between_runs(tmp_path) -> None:
    first = KeyPair.load_or_create(tmp_path)
    assert KeyPair.load_or_create(tmp_path) == first
    assert (tmp_path / "token-signing.pem").stat().st_mode & 0o077 == 0


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local", "token", *args],
        capture_output=True,
        text=True,
        env={"LOCAL_STATE_DIR": str(tmp_path), "PATH": ""},
        check=False,
    )


def test_cli_prints_only_the_token_on_one_line(tmp_path) -> None:
    result = _cli(tmp_path, "--group", "front-desk", "--group", "managers", "--user", "amina")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    claims = verify_token(KeyPair.load_or_create(tmp_path / "keys"), lines[0])
    assert claims["cognito:groups"] == ["front-desk", "managers"]
    assert claims["cognito:username"] == "amina"


def test_cli_refuses_an_unknown_group(tmp_path) -> None:
    result = _cli(tmp_path, "--group", "admins")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "unknown group admins" in result.stderr


def test_a_token_naming_another_key_is_refused(token_keys: KeyPair) -> None:
    claims = jwt.decode(issue_token(token_keys, ["ops"], "x"), options={"verify_signature": False})
    token = jwt.encode(claims, token_keys.private_pem, algorithm="RS256", headers={"kid": "another-1"})
    with pytest.raises(InvalidToken, match="key id is not this runtime's issuer's"):
        verify_token(token_keys, token)
