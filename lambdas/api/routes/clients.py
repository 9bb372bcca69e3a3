from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from lambdas.api.access import READ_RECORDS, Routes
from lambdas.api.caller import unit_of_work
from lambdas.api.errors import InvalidField
from lambdas.shared.clients import ClientDetail, ClientPage, InvalidCursor, get_client, search_clients

routes = Routes()

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ClientId = Annotated[str, Path(pattern=UUID_PATTERN, description="the client's id (a UUID)")]


@routes.get("/clients/{client_id}", allow=READ_RECORDS, summary="A client's record and onboarding status")
def handle_get_client(client_id: ClientId) -> ClientDetail:
    with unit_of_work(routes.router) as uow:
        return get_client(uow, client_id)


@routes.get("/clients", allow=READ_RECORDS, summary="Search clients by name or phone number")
def handle_search_clients(
    q: Annotated[str | None, Query(max_length=100, description="part of a name or a phone number")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
) -> ClientPage:
    with unit_of_work(routes.router) as uow:
        try:
            return search_clients(uow, q, limit, cursor)
        except InvalidCursor as error:
            raise InvalidField("query.cursor", str(error)) from error
