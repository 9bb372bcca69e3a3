"""Swagger UI on the local runtime (``/docs``), in Debian's chromium: the routes grouped by process in
the walk-through's order, and "Try it out" starting from the document's example (one the route takes:
tests/api/test_openapi.py sends each)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LocalRuntime

pytestmark = pytest.mark.e2e


def test_the_docs_group_the_routes_by_process_and_try_it_out_starts_from_a_valid_example(
    browser: Any, local_runtime: LocalRuntime, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{local_runtime.api_url}/docs")
        page.wait_for_selector(".opblock-tag-section")
        # the sections, in the walk-through's order
        tags = page.locator(".opblock-tag-section h3 .nostyle span").all_inner_texts()
        assert tags == ["clients", "queue", "orders", "executions", "health"]
        # the application's example, in "Try it out"
        operation = page.locator("#operations-clients-handle_create_client_clients_post")
        operation.locator(".opblock-summary").click()
        operation.get_by_role("button", name="Try it out").click()
        body = json.loads(operation.locator("textarea.body-param__text").input_value())
        page.screenshot(path=tmp_path / "swagger-ui.png", full_page=False)
    finally:
        page.close()
    # the document's example, which the route takes (tests/api/test_openapi.py sends each one)
    _, document = local_runtime.request("GET", "/openapi.json", token=local_runtime.token("front-desk"))
    assert body == document["components"]["schemas"]["Application"]["examples"][0]
    assert body["first_name"] == "Amina"
