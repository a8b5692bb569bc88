"""The console in a real headless Chromium (Debian's ``chromium``, driven by Playwright) against a real
server process: customer service signs in, finds an order and cancels a unit after confirming.

Screenshots of each page go to ``OMS_SCREENSHOTS`` (``make screenshots`` writes them to
``docs/screenshots/``). Without a Chromium the test is left out, unless ``OMS_REQUIRE_BROWSER=1`` (CI),
which makes it fail instead."""

import os
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support import NODES, PRODUCTS, STOCK, order

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("OMS_REQUIRE_BROWSER") == "1":
        raise RuntimeError("OMS_REQUIRE_BROWSER=1 but no chromium is installed (apt-get install chromium)")
    pytest.skip("no chromium on this machine", allow_module_level=True)

ADMIN_KEY = "e2e-admin-key"
# Chromium as this machine runs it: no sandbox as root, and none of its calls home (the network is closed).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser_page(tmp_path):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def shot(page, name: str) -> None:
    folder = os.environ.get("OMS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def seeded(server: str) -> dict:
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as http:
        for path, body in (("/v1/products", PRODUCTS), ("/v1/nodes", NODES), ("/v1/inventory", STOCK)):
            assert http.put(path, json=body).status_code == 200
        http.post("/v1/orders", json=order("E2E-OTHER", [("SKU-B", 1)]))
        created = http.post("/v1/orders", json=order("E2E-CS-1", [("SKU-A", 2)]))
        assert created.status_code == 201, created.text
        return created.json()


def test_customer_service_finds_an_order_and_cancels_a_unit(server, browser_page):
    placed = seeded(server)
    page = browser_page
    page.goto(server + "/console")
    expect(page).to_have_url(server + "/console/sign-in")
    shot(page, "sign-in")
    page.get_by_label("API key").fill(ADMIN_KEY)
    page.keyboard.press("Enter")  # the form works from the keyboard
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    assert "e2e-admin-key" not in str(page.context.cookies())  # the browser never holds the key

    page.get_by_label("Search").fill("ada@example.com")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="E2E-CS-1")).to_be_visible()
    expect(page.get_by_role("link", name="E2E-OTHER")).to_be_visible()
    shot(page, "orders")
    page.get_by_label("Search").fill("E2E-CS-1")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="E2E-OTHER")).to_have_count(0)
    page.get_by_role("link", name="E2E-CS-1").click()

    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    expect(page.get_by_text("order.created")).to_be_visible()
    shot(page, "order")
    page.get_by_label("Units to cancel SKU-A").fill("1")
    page.get_by_label("Reason").fill("the customer called")
    page.get_by_role("button", name="Cancel units…").click()
    expect(page.get_by_role("heading", name="Cancel these units?")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("status")).to_have_text("Done.")
    expect(page.get_by_text("order.lines_cancelled")).to_be_visible()
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as http:
        assert http.get(f"/v1/orders/{placed['id']}").json()["lines"][0]["cancelled"] == 1
