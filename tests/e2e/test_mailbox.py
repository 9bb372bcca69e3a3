"""Notifications on the local runtime: the dispatcher delivers the outbox to the local mailbox, which
``python -m local outbox`` prints."""

import os
import subprocess
import sys
import uuid

import pytest

from lambdas.shared.notify.senders import read_mailbox
from local.mailbox import mailbox_directory
from tests.e2e.conftest import REPO_ROOT, LocalRuntime, until
from tests.workflows.conftest import application

pytestmark = pytest.mark.e2e


def _outbox(runtime: LocalRuntime) -> str:
    environment = {**os.environ, "LOCAL_STATE_DIR": str(runtime.state_dir)}
    command = [sys.executable, "-m", "local", "outbox"]
    return subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=True).stdout


def test_an_onboarded_client_with_sms_consent_gets_the_welcome_sms_in_their_language(
    local_runtime: LocalRuntime,
) -> None:
    token = local_runtime.token("front-desk")
    # a person of their own: the runtime is shared, and no other test's client may be a duplicate
    phone = f"+3361{uuid.uuid4().int % 10**7:07d}"  # 06 1x: an allocated range (06 39 and 06 9x are not)
    name = "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:10]).title()
    body = application(first_name="Kemal", last_name=name, birth_date="1980-03-09", phone=phone, language="tr")
    status, accepted = local_runtime.request("POST", "/clients", token=token, body=body)
    assert status == 202, accepted

    def delivered() -> bool:
        directory = mailbox_directory(local_runtime.state_dir)
        return directory.is_dir() and any(letter["to"] == phone for letter in read_mailbox(directory))

    until(delivered, "the welcome SMS")
    printed = _outbox(local_runtime)
    [line, text] = [part for part in printed.split("\n") if phone in part or "hoş geldiniz" in part]
    assert f"sms   to {phone}  [welcome, tr]" in line
    assert text.strip().startswith("Optical Center Vak")  # the Turkish text
    assert "hoş geldiniz" in text
    assert "Kemal" not in printed
    assert name not in printed  # the texts hold no name: nothing personal beyond the address


def test_a_manager_reads_the_mailbox_in_the_console_and_ops_are_not_shown_it(
    local_runtime: LocalRuntime, browser, tmp_path
) -> None:
    from playwright.sync_api import expect

    from tests.e2e.test_console import screenshot, sign_in

    token = local_runtime.token("front-desk")
    phone = f"+3361{uuid.uuid4().int % 10**7:07d}"  # 06 1x: an allocated range (06 39 and 06 9x are not)
    name = "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:10]).title()
    body = application(first_name="Lucia", last_name=name, birth_date="1990-07-21", phone=phone, language="es")
    assert local_runtime.request("POST", "/clients", token=token, body=body)[0] == 202
    directory = mailbox_directory(local_runtime.state_dir)
    until(lambda: any(letter["to"] == phone for letter in read_mailbox(directory)), "the welcome SMS")

    page = sign_in(browser, local_runtime, "managers")
    page.get_by_role("link", name="Local mailbox").click()
    expect(page.get_by_role("heading", name="Local mailbox")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=phone)
    expect(row).to_contain_text("welcome (es)")
    expect(row).to_contain_text("SMS")
    expect(row.locator("td[lang=es]")).to_contain_text("Bienvenid")
    screenshot(page, tmp_path, "console-mailbox.png")
    assert page.errors == []  # type: ignore[attr-defined]

    ops = sign_in(browser, local_runtime, "ops")
    expect(ops.get_by_role("link", name="Local mailbox")).to_be_hidden()
    ops.goto(f"{local_runtime.api_url}/console/#/mailbox")
    expect(ops.get_by_role("alert")).to_contain_text("Your groups do not give access to this page")
