"""The path ids and headers several routes take, declared once."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from lambdas.shared.fields import IDEMPOTENCY_KEY_LENGTH, UUID_PATTERN


def uuid_id(entity: str) -> Path:
    """A path id this API made: ``ClientId = Annotated[str, uuid_id("client")]``."""
    return Path(pattern=UUID_PATTERN, description=f"the {entity}'s id (a UUID)")


def idempotency_key(gives_back: str) -> Header:
    """The optional ``Idempotency-Key`` header, ``Annotated[str | None, idempotency_key(...)]``;
    ``gives_back`` says what repeating the request returns."""
    return Header(
        alias="idempotency-key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_LENGTH,
        description=f"a key of your choice: the same key and {gives_back}",
    )
