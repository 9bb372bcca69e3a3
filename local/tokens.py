"""A local stand-in for the Cognito user pool: RS256 ID tokens for people, access tokens with scopes
for machine clients (the lab), each checked as the Cognito authorizer does."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lambdas.api.access import GROUP_NAME
from local.files import write_private_file
from local.sfn.files import keep_private, make_private_directory

ISSUER = "https://cognito-idp.local.amazonaws.com/local_fondation"
AUDIENCE = "fondation-local-app-client"
KEY_ID = "local-1"
DEFAULT_TTL_SECONDS = 3600


class InvalidToken(Exception):
    """The token would not pass the Cognito authorizer."""


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes
    public_pem: bytes

    @classmethod
    def load_or_create(cls, directory: Path) -> KeyPair:
        """The issuer's key pair under ``directory``, generated the first time.

        The public half is derived from the private key on disk, so two processes generating at once
        cannot leave a mismatched pair: the first private key written is the one every process uses.
        """
        private_path, public_path = directory / "token-signing.pem", directory / "token-signing.pub.pem"
        if not private_path.exists():
            make_private_directory(directory)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_private_file(
                private_path,
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ),
            )
        private_pem = private_path.read_bytes()
        if not public_path.exists():  # derived from the key that won, never from one that lost a race
            public_key = serialization.load_pem_private_key(private_pem, password=None).public_key()
            write_private_file(
                public_path,
                public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            )
        for path in (private_path, public_path):
            keep_private(path)
        return cls(private_pem, public_path.read_bytes())


def subject_of(username: str) -> str:
    """A stable ``sub`` per user name, so the audit log names the same person across tokens."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ISSUER}/{username}"))


def issue_token(
    keys: KeyPair,
    groups: list[str],
    username: str,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> str:
    issued_at = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": subject_of(username),
        "email": f"{username}@fondation.local",
        "email_verified": True,
        "cognito:username": username,
        "cognito:groups": groups,
        "token_use": "id",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "auth_time": issued_at,
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
    }
    return jwt.encode(claims, keys.private_pem, algorithm="RS256", headers={"kid": KEY_ID})


def client_id_of(name: str) -> str:
    """A stable app client id per machine client name (Cognito's are 26 characters)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{ISSUER}/clients/{name}").hex[:26]


def issue_access_token(
    keys: KeyPair, client: str, scopes: list[str], ttl_seconds: int = DEFAULT_TTL_SECONDS, now: float | None = None
) -> str:
    """What the user pool's client-credentials flow gives a machine client: scopes, no groups, no audience."""
    issued_at = int(time.time() if now is None else now)
    client_id = client_id_of(client)
    claims: dict[str, Any] = {
        "sub": client_id,
        "client_id": client_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "iss": ISSUER,
        "auth_time": issued_at,
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, keys.private_pem, algorithm="RS256", headers={"kid": KEY_ID})


def _decode(keys: KeyPair, token: str, required: list[str]) -> dict[str, Any]:
    """The token's claims, once its signature, expiry and issuer hold; else why not, in words."""
    if not token:
        raise InvalidToken("no token: send the header Authorization: Bearer <token>")
    try:
        if jwt.get_unverified_header(token).get("kid") != KEY_ID:  # the authorizer picks the key by it
            raise InvalidToken(f"the token's key id is not this runtime's issuer's ({KEY_ID})")
        return jwt.decode(
            token,
            keys.public_pem,
            algorithms=["RS256"],
            issuer=ISSUER,
            options={"require": required, "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("the token has expired: ask for a new one (python -m local token ...)") from error
    except jwt.InvalidSignatureError as error:
        raise InvalidToken("the token's signature is not this runtime's issuer's (another .local/keys?)") from error
    except jwt.InvalidIssuerError as error:
        raise InvalidToken("the token is another user pool's (wrong issuer)") from error
    except jwt.MissingRequiredClaimError as error:
        raise InvalidToken(f"the token has no {error.claim} claim") from error
    except jwt.InvalidAlgorithmError as error:
        raise InvalidToken("the token is not signed with RS256") from error
    except jwt.PyJWTError as error:
        raise InvalidToken(f"not a token the user pool issued ({error})") from error


def verify_access_token(keys: KeyPair, token: str, scopes: frozenset[str]) -> dict[str, Any]:
    """Signature, expiry, issuer, ``token_use`` and one of the method's ``scopes`` — what the authorizer
    checks on a method that declares scopes."""
    claims = _decode(keys, token, ["exp", "iat", "sub", "iss", "token_use", "scope"])
    if claims.get("token_use") != "access":
        raise InvalidToken("an ID token where a machine client's access token is required")
    if not set(str(claims.get("scope")).split()) & scopes:
        raise InvalidToken(f"the token has none of the route's scopes ({', '.join(sorted(scopes))})")
    return claims


def verify_token(keys: KeyPair, token: str) -> dict[str, Any]:
    """Signature, expiry, audience, issuer and ``token_use`` — what the authorizer checks."""
    claims = _decode(keys, token, ["exp", "iat", "sub", "iss", "token_use"])
    if claims.get("token_use") != "id":
        raise InvalidToken("an access token where a person's ID token is required")
    if claims.get("aud") != AUDIENCE:
        raise InvalidToken("the token is for another app client (wrong audience)")
    groups = claims.get("cognito:groups", [])
    if not isinstance(groups, list) or not all(isinstance(name, str) and GROUP_NAME.fullmatch(name) for name in groups):
        raise InvalidToken("cognito:groups is not a list of group names (letters, digits, _ and -)")
    return claims


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to the function: every value a string, groups comma-joined."""
    flattened = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flattened[name] = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            flattened[name] = str(value).lower()
        else:
            flattened[name] = str(value)
    return flattened
