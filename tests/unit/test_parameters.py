"""The stage's parameters: read from Parameter Store (moto) by group, cached, validated at first use,
and a missing or invalid one named; the local file holds the same names with the defaults."""

from __future__ import annotations

import io
import json
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import base as powertools_base
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from moto import mock_aws

from lambdas.shared import parameters
from lambdas.shared.config import parameter_source
from lambdas.shared.errors import SettingsInvalid, SettingsUnavailable
from lambdas.shared.parameters import GROUPS, NotificationParameters, OrderParameters, QueueParameters, read
from tests.events import api_event, call_api, lambda_context

REPO = Path(__file__).resolve().parents[2]
PATH = "/fondation/test"


def _defaults() -> dict[str, str]:
    return {
        f"{model.group}/{field.alias}": str(field.default) for model in GROUPS for field in model.model_fields.values()
    }


def _forget() -> None:
    """A new container: the source, its provider's cache and the validated values start empty."""
    parameter_source.cache_clear()
    parameters._provider.cache_clear()
    parameters._validated.cache_clear()


@pytest.fixture
def new_container() -> Iterator[None]:
    """Settings read afresh from what the test sets in the environment, and forgotten after it."""
    _forget()
    yield
    _forget()


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Parameter Store (moto) holding every default under /fondation/test; ``put(name, value)``
    changes one, ``put(name, None)`` deletes it. Reads are counted in ``store.reads``."""
    with mock_aws():
        ssm = boto3.client("ssm")
        for name, value in _defaults().items():
            ssm.put_parameter(Name=f"{PATH}/{name}", Value=value, Type="String")
        monkeypatch.setenv("SETTINGS_PATH", PATH)
        monkeypatch.delenv("SETTINGS_FILE")
        _forget()

        def put(name: str, value: str | None) -> None:
            if value is None:
                ssm.delete_parameter(Name=f"{PATH}/{name}")
            else:
                ssm.put_parameter(Name=f"{PATH}/{name}", Value=value, Type="String", Overwrite=True)

        put.reads = []  # type: ignore[attr-defined]
        _, provider = parameters._provider()
        provider.client.meta.events.register(
            "provide-client-params.ssm.GetParametersByPath",
            lambda params, **_: put.reads.append(params["Path"]),  # type: ignore[attr-defined]
        )
        yield put
    _forget()


def test_a_group_is_read_from_its_path_typed(store: Callable[..., None]) -> None:
    store("orders/max-sphere", "12.5")
    orders = read(OrderParameters)
    assert orders.max_sphere == Decimal("12.5")
    assert orders.prescription_max_age_days == 730
    assert store.reads == [f"{PATH}/orders"]  # type: ignore[attr-defined]


def test_values_are_cached_five_minutes_then_read_again(
    store: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert parameters.MAX_AGE_SECONDS == 300
    for _ in range(3):
        assert read(QueueParameters).grace_seconds == 180
    read(OrderParameters)
    assert store.reads == [f"{PATH}/queue", f"{PATH}/orders"]  # type: ignore[attr-defined]
    # a value changed in Parameter Store is used once the cached one has expired
    store("queue/grace-seconds", "240")
    assert read(QueueParameters).grace_seconds == 180

    class FiveMinutesLater(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return datetime.now(tz) + timedelta(seconds=301)  # type: ignore[arg-type]

    monkeypatch.setattr(powertools_base, "datetime", FiveMinutesLater)
    assert read(QueueParameters).grace_seconds == 240
    assert store.reads.count(f"{PATH}/queue") == 2  # type: ignore[attr-defined]


def test_a_missing_parameter_is_named(store: Callable[..., None]) -> None:
    store("orders/max-sphere", None)
    store("orders/lab-timeout-days", None)
    with pytest.raises(SettingsInvalid) as raised:
        read(OrderParameters)
    assert str(raised.value) == (f"{PATH}/orders/max-sphere is missing; {PATH}/orders/lab-timeout-days is missing")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("orders/max-sphere", "lots", "decimal"),
        ("orders/max-cylinder", "-1", "greater than or equal to 1"),
        ("orders/pickup-reminders", "2.5", "integer"),
        ("notifications/sms-sender-id", "FONDATION OPTICAL", "pattern"),
        ("intake/default-phone-region", "fr", "pattern"),
    ],
)
def test_an_invalid_parameter_is_named_with_its_value(
    store: Callable[..., None], name: str, value: str, says: str
) -> None:
    store(name, value)
    model = next(model for model in GROUPS if model.group == name.split("/")[0])
    with pytest.raises(SettingsInvalid, match=says) as raised:
        read(model)
    assert str(raised.value).startswith(f"{PATH}/{name} is invalid: ")
    assert repr(value) in str(raised.value)


def test_parameter_store_out_of_reach_is_a_retryable_failure(
    store: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, provider = parameters._provider()

    def unreachable(*args: object, **kwargs: object) -> None:
        raise GetParameterError("Could not connect to the endpoint URL")

    monkeypatch.setattr(provider, "_get_multiple", unreachable)
    with pytest.raises(SettingsUnavailable, match=f"could not read {PATH}/orders/"):
        read(OrderParameters)


def test_a_function_with_no_source_of_settings_says_what_to_set(
    new_container: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SETTINGS_FILE")
    with pytest.raises(SettingsInvalid, match=r"set SETTINGS_PATH .* or SETTINGS_FILE"):
        read(OrderParameters)


def test_the_dispatcher_fails_its_first_call_naming_a_missing_parameter(
    store: Callable[..., None], monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    from lambdas.dispatcher import handler as dispatcher
    from lambdas.shared.config import notification_settings

    monkeypatch.delenv("NOTIFY_MAILBOX", raising=False)
    notification_settings.cache_clear()
    store("notifications/sms-sender-id", None)
    try:
        with pytest.raises(SettingsInvalid, match=f"^{PATH}/notifications/sms-sender-id is missing$"):
            dispatcher.handler({}, lambda_context("dispatcher"))
    finally:
        notification_settings.cache_clear()


def test_the_api_answers_500_and_logs_the_invalid_parameters_name(
    store: Callable[..., None], database_url: str, function_logs: io.StringIO
) -> None:
    store("queue/grace-seconds", "three minutes")
    status, body = call_api(
        api_event("PUT", "/sites/lyon", body={"name": "Lyon", "timezone": "Europe/Paris"}, groups=("managers",))
    )
    assert (status, body["error"]) == (500, "internal_error")
    assert "setting" in body["message"]
    [logged] = [json.loads(line) for line in function_logs.getvalue().splitlines() if "settings invalid" in line]
    assert logged["reason"].startswith(f"{PATH}/queue/grace-seconds is invalid")
    # a site that says its grace needs no default: the parameter is not read
    status, body = call_api(
        api_event("PUT", "/sites/lyon", body={"name": "Lyon", "grace_seconds": 60}, groups=("managers",))
    )
    assert (status, body["grace_seconds"]) == (200, 60)


def test_a_new_sites_grace_is_the_stages_default(store: Callable[..., None], database_url: str) -> None:
    store("queue/grace-seconds", "240")
    status, body = call_api(api_event("PUT", "/sites/lyon", body={"name": "Lyon"}, groups=("managers",)))
    assert (status, body["grace_seconds"]) == (200, 240)


def test_the_local_file_holds_every_parameter_with_its_default() -> None:
    # Given the file the local runtime and the tests read
    path = REPO / "local" / "settings.toml"
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    # Then it has every group's every parameter, nothing else, and the values are the defaults
    assert {f"{group}/{name}": str(value) for group, table in tables.items() for name, value in table.items()} == (
        _defaults()
    )
    for model in GROUPS:
        assert read(model) == model()


def test_the_local_file_is_read_as_parameter_store_is(
    new_container: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[notifications]\nsms-sender-id = "CLINIQUE"\nemail-sender = 12\n', encoding="utf-8")
    monkeypatch.setenv("SETTINGS_FILE", str(path))
    with pytest.raises(SettingsInvalid) as raised:
        read(NotificationParameters)
    assert str(raised.value) == f"{path} [notifications] email-sender is invalid: " + (
        "String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' (it is '12')"
    )
    path.write_text('[notifications]\nsms-sender-id = "CLINIQUE"\nemail-sender = "a@b.org"\n', encoding="utf-8")
    _forget()  # the file changed: a new container reads it
    assert read(NotificationParameters).sms_sender_id == "CLINIQUE"


def test_the_readme_lists_every_parameter_with_its_default() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if line.startswith("| `")}
    for name, default in _defaults().items():
        assert name in rows, name
        assert rows[name].rstrip(" |").endswith(f"`{default}`"), rows[name]


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"intake/default-phone-region": "ZZ"}, "intake/default-phone-region is invalid: Value error, not a country"),
        ({"notifications/sms-sender-id": "0123"}, "sms-sender-id is invalid: Value error, a sender id needs a"),
        ({"orders/max-sphere": "0.0001"}, "orders/max-sphere is invalid"),
        ({"orders/max-cylinder": "2.1"}, "multiple of 0.25"),
        (
            {"orders/pickup-reminders": "10", "orders/pickup-reminder-days": "60"},
            f"{PATH}/orders: Value error, lab-timeout-days + pickup-reminder-days * (pickup-reminders + 1) is 690 days",
        ),
    ],
)
def test_a_value_the_workflows_could_not_live_with_is_refused(
    store: Callable[..., None], values: dict[str, str], says: str
) -> None:
    for name, value in values.items():
        store(name, value)
    model = next(model for model in GROUPS if model.group == next(iter(values)).split("/")[0])
    with pytest.raises(SettingsInvalid) as raised:
        read(model)
    assert says in str(raised.value)


def test_a_broken_local_file_is_a_settings_error_not_an_outage(
    new_container: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[orders\nmax-sphere = 20\n", encoding="utf-8")
    monkeypatch.setenv("SETTINGS_FILE", str(path))
    with pytest.raises(SettingsInvalid, match=f"could not read {path} "):
        read(OrderParameters)
