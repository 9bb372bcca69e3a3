"""The console in a real browser (Debian's chromium, driven by Playwright) against the local runtime:
a manager sees the failed execution first, opens it, sees the failed state and its error and no
Redrive button; ops redrive it, and once the client's documents arrive it is green. A screenshot of
each view goes to the test's output folder (and to CONSOLE_SCREENSHOTS, when set: the README's), once
axe-core finds no serious or critical violation in it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import screenshot as keep
from tests.e2e.browser import violations
from tests.e2e.conftest import LocalRuntime, until
from tests.workflows.conftest import application

pytestmark = pytest.mark.e2e


def failed_onboarding(local_runtime: LocalRuntime) -> tuple[str, str]:
    """An application waiting for documents whose callback was failed (a lost upload): the client's
    id and its failed execution's name."""
    desk = local_runtime.token("front-desk", user="desk-1")
    name = "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:8]).title()
    body = application(first_name="Awa", last_name=name, phone=None, evidence={"type": "none_yet"})
    status, accepted = local_runtime.request("POST", "/clients", token=desk, body=body)
    assert status == 202, accepted
    client_id = accepted["client_id"]
    until(
        lambda: local_runtime.request("GET", f"/clients/{client_id}", token=desk)[1]["status"] == "awaiting_documents",
        "the application to wait for documents",
    )
    sfn = local_runtime.sfn()
    events = sfn.get_execution_history(executionArn=accepted["execution_arn"], reverseOrder=True)["events"]
    scheduled = next(event for event in events if event["type"] == "TaskScheduled")
    token = json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Payload"]["token"]
    sfn.send_task_failure(taskToken=token, error="DocumentsLost", cause="the scanner's upload never arrived")
    until(lambda: sfn.describe_execution(executionArn=accepted["execution_arn"])["status"] == "FAILED", "FAILED")
    return client_id, f"client-{client_id}"


def sign_in(browser: Browser, local_runtime: LocalRuntime, group: str) -> Page:
    # axe-core is injected into the page, which the console's policy would refuse
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name=f"Sign in as {group}").click()
    expect(page.get_by_role("heading", name="Workflows")).to_be_visible()
    page.errors = errors  # type: ignore[attr-defined]
    return page


def screenshot(page: Page, folder: Path, name: str) -> None:
    """The view's screenshot, once axe-core finds it accessible."""
    assert violations(page) == [], name
    keep(page, folder, name)


def test_a_manager_sees_the_failure_and_ops_redrive_it(
    local_runtime: LocalRuntime, browser: Browser, tmp_path: Path
) -> None:
    client_id, name = failed_onboarding(local_runtime)
    node = '.graph [data-state="AwaitDocuments"]'

    # A manager: the failed executions come first, this one among them, with where and why
    manager = sign_in(browser, local_runtime, "managers")
    failed = manager.locator("table").first
    assert manager.locator("h2").first.inner_text().startswith("Failed executions")  # before the counts
    row = failed.locator("tr", has_text=name)
    expect(row).to_contain_text("AwaitDocuments")
    expect(row).to_contain_text("DocumentsLost")
    screenshot(manager, tmp_path, "console-overview.png")
    row.get_by_role("link", name=name).click()
    expect(manager.locator(node)).to_have_attribute("data-status", "failed")
    expect(manager.get_by_role("alert")).to_contain_text("DocumentsLost")
    expect(manager.get_by_text("client Awa ")).to_be_visible()  # the client's name, which a manager may read
    expect(manager.get_by_role("button", name="Redrive")).to_have_count(0)
    expect(manager.get_by_role("button", name="Stop")).to_have_count(0)
    screenshot(manager, tmp_path, "console-execution-failed.png")
    manager.get_by_role("link", name="← client-onboarding").click()
    expect(manager.get_by_role("link", name=name)).to_be_visible()
    screenshot(manager, tmp_path, "console-executions.png")
    # A search by entity takes an id as pasted (in capitals, or an execution's name), with the status filter
    manager.get_by_label("Entity id").fill("Moussa")
    manager.get_by_role("button", name="Filter").click()
    expect(manager.get_by_role("alert")).to_contain_text("is not an id")
    manager.get_by_label("Entity id").fill(name.upper())
    manager.get_by_label("Status").select_option("succeeded")
    manager.get_by_role("button", name="Filter").click()
    expect(manager.get_by_role("alert")).to_have_count(0)  # the page of this search, not the last one's
    expect(manager.get_by_text("No execution matches.")).to_be_visible()
    expect(manager.get_by_label("Entity id")).to_have_value(client_id)  # read as the id it is
    manager.get_by_label("Status").select_option("failed")
    manager.get_by_role("button", name="Filter").click()
    expect(manager.get_by_role("link", name=name)).to_be_visible()
    # And the page's refresh (every 10 s) leaves what is being typed, and where, alone
    manager.get_by_label("Entity id").fill("typing")
    manager.wait_for_timeout(11_000)
    expect(manager.get_by_label("Entity id")).to_have_value("typing")
    expect(manager.get_by_label("Entity id")).to_be_focused()
    assert manager.errors == [], manager.errors  # type: ignore[attr-defined]

    # Ops redrive it from the console: it waits for the documents again
    ops = sign_in(browser, local_runtime, "ops")
    ops.goto(f"{local_runtime.api_url}/console/#/workflows/client-onboarding/executions/{name}")
    ops.get_by_role("button", name="Redrive").click()
    ops.locator("#confirm-button").click()
    expect(ops.get_by_role("status")).to_contain_text("Redriven")
    expect(ops.locator(node)).to_have_attribute("data-status", "waiting")
    # And when the documents come, the execution succeeds: green
    desk = local_runtime.token("front-desk", user="desk-1")
    documents = {"type": "referral_letter", "reference": "SAMU-SOCIAL-2026-118"}
    assert local_runtime.request("POST", f"/clients/{client_id}/documents", token=desk, body=documents)[0] == 202
    sfn, arn = local_runtime.sfn(), f"arn:aws:states:us-east-1:000000000000:execution:client-onboarding:{name}"
    until(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", "SUCCEEDED")
    ops.reload()
    expect(ops.locator(".facts .status")).to_have_text("succeeded")
    expect(ops.locator(node)).to_have_attribute("data-status", "succeeded")
    expect(ops.get_by_role("button", name="Redrive")).to_have_count(0)
    screenshot(ops, tmp_path, "console-execution-redriven.png")
    assert ops.errors == [], ops.errors  # type: ignore[attr-defined]
