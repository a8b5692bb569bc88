"""The console in a real headless Chromium (Debian's ``chromium``, driven by Playwright) against a real
server process: customer service signs in, finds an order and cancels a unit after confirming.

Screenshots of each page go to ``OMS_SCREENSHOTS`` (``make screenshots`` writes them to
``docs/screenshots/``). Without a Chromium the test is left out, unless ``OMS_REQUIRE_BROWSER=1`` (CI),
which makes it fail instead."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.test_server import OMS
from tests.support import E2E_ADMIN_KEY, NODES, PRODUCTS, STOCK, order

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("OMS_REQUIRE_BROWSER") == "1":
        raise RuntimeError("OMS_REQUIRE_BROWSER=1 but no chromium is installed (apt-get install chromium)")
    pytest.skip("no chromium on this machine", allow_module_level=True)

ADMIN_KEY = E2E_ADMIN_KEY
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
    assert ADMIN_KEY not in str(page.context.cookies())  # the browser never holds the key

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
    page.get_by_label("Why cancel").fill("the customer called")
    page.get_by_role("button", name="Cancel units…").click()
    expect(page.get_by_role("heading", name="Cancel these units?")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("status")).to_have_text("Done.")
    expect(page.get_by_text("order.lines_cancelled")).to_be_visible()
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as http:
        assert http.get(f"/v1/orders/{placed['id']}").json()["lines"][0]["cancelled"] == 1

    page.get_by_role("link", name="Inventory").click()
    page.get_by_label("SKU").fill("SKU-A")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="By node")).to_be_visible()
    expect(page.get_by_role("cell", name="DC-PARIS").first).to_be_visible()
    shot(page, "inventory")


def node_key(database_url: str, node_id: str) -> str:
    """A store associate's key, made as an operator would: with the command line, on the same database."""
    made = subprocess.run([str(OMS), "keys", "create", "--role", "node", "--scope", node_id],
                          env={**os.environ, "OMS_DATABASE_URL": database_url}, capture_output=True, text=True,
                          check=True)
    return re.search(r"oms_[A-Za-z0-9_\-]+", made.stdout).group(0)


def test_a_store_associate_takes_a_click_and_collect_order_from_accept_to_hand_over(server, database_url,
                                                                                      browser_page):
    seeded(server)
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as http:
        placed = http.post("/v1/orders", json=order("E2E-CC-1", [("SKU-A", 1)], mode="click_and_collect",
                                                      pickup_node_id="ST-PARIS")).json()
    page = browser_page
    page.set_viewport_size({"width": 1024, "height": 768})  # the store's tablet
    page.goto(server + "/console/sign-in")
    page.get_by_label("API key").fill(node_key(database_url, "ST-PARIS"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Store queue · ST-PARIS")).to_be_visible()
    card = page.get_by_role("article", name=placed["id"])
    expect(card).to_be_visible()
    shot(page, "store")

    card.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_have_text("Done.")
    page.get_by_role("article", name=placed["id"]).get_by_role("button", name="Confirm the pick").click()
    page.get_by_role("article", name=placed["id"]).get_by_role("button", name="Mark ready for pickup").click()
    ready = page.get_by_role("article", name=placed["id"])
    expect(page.locator("#h-to_hand_over")).to_contain_text("1")
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as http:
        code = http.get(f"/v1/orders/{placed['id']}").json()["fulfillments"][0]["details"]["pickup_code"]
    ready.get_by_label("Customer's pickup code").fill("999999" if code != "999999" else "000000")
    ready.get_by_role("button", name="Hand over").click()
    expect(page.get_by_role("alert")).to_contain_text("does not match")
    page.go_back()
    page.reload()
    ready = page.get_by_role("article", name=placed["id"])
    ready.get_by_label("Customer's pickup code").fill(code)
    ready.get_by_role("button", name="Hand over").click()
    expect(page.get_by_role("status")).to_have_text("Done.")
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as http:
        assert http.get(f"/v1/orders/{placed['id']}").json()["status"] == "collected"


def test_the_dashboard_shows_a_captured_order_without_reloading(server, browser_page):
    seeded(server)  # two orders
    page = browser_page
    page.goto(server + "/console/sign-in")
    page.get_by_label("API key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Dashboard").click()
    orders = page.locator('[data-kpi="orders"]')
    expect(orders).to_have_text("2")
    expect(page.get_by_role("img", name="By channel")).to_be_visible()
    shot(page, "dashboard")
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as http:
        assert http.post("/v1/orders", json=order("E2E-DASH-1", [("SKU-A", 1)])).status_code == 201
    page.evaluate("window.stayed = true")  # gone if the page were loaded again
    expect(orders).to_have_text("3", timeout=25_000)
    assert page.evaluate("window.stayed") is True
