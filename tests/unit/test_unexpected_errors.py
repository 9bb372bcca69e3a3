"""What pages on-call: an unexpected error counts in the UnexpectedErrors metric; a business outcome
a workflow catches (raised as an error, so Lambda's own Errors metric counts it too) does not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdas.shared.errors import DatabaseUnavailable, TicketEnded
from lambdas.shared.observability import UNEXPECTED_ERRORS, UnexpectedError, task_handler
from tests.events import api_event, call_api, lambda_context


def _metrics_printed(output: str) -> list[str]:
    """The metric names of the EMF documents Powertools printed."""
    names = []
    for line in output.splitlines():
        if '"_aws"' in line:
            document = json.loads(line)
            names += [metric["Name"] for block in document["_aws"]["CloudWatchMetrics"] for metric in block["Metrics"]]
    return names


@pytest.mark.parametrize(
    ("raised", "surfaces_as", "counted"),
    [
        (TicketEnded("cancelled"), TicketEnded, False),
        (DatabaseUnavailable("gone"), DatabaseUnavailable, False),
        (KeyError("Amina"), UnexpectedError, True),
    ],
)
def test_only_an_unplanned_task_error_is_counted(
    raised: Exception, surfaces_as: type, counted: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    @task_handler
    def task(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise raised

    with pytest.raises(surfaces_as):
        task({"execution": "arn:aws:states:us-east-1:0:execution:x:y"}, lambda_context())
    assert (UNEXPECTED_ERRORS in _metrics_printed(capsys.readouterr().out)) is counted


def test_an_api_500_is_counted_and_a_404_is_not(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    from lambdas.shared.queue import views

    status, _ = call_api(api_event("GET", "/sites/nowhere/board"))
    assert status == 404
    assert UNEXPECTED_ERRORS not in _metrics_printed(capsys.readouterr().out)

    def broken(*args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "board", broken)
    status, _ = call_api(api_event("GET", "/sites/nowhere/board"))
    assert status == 500
    assert UNEXPECTED_ERRORS in _metrics_printed(capsys.readouterr().out)
