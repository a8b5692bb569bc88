"""The server killed (SIGKILL) while its relay hands events to a partner: after a restart nothing is lost
and the outbox drains."""

import json
import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.conftest import SECRET_KEY
from tests.e2e.test_server import OMS
from tests.support import E2E_ADMIN_KEY, NODES, PRODUCTS, STOCK, free_port, order, server_env

ADMIN = {"Authorization": f"Bearer {E2E_ADMIN_KEY}"}


class Partner(BaseHTTPRequestHandler):
    got: list[str] = []

    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Partner.got.append(json.loads(body)["id"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def start(database_url: str, port: int) -> subprocess.Popen:
    env = server_env(database_url, OMS_REFERENCE_REFRESH_SECONDS="0", OMS_RELAY_SECONDS="0.05",
                     OMS_WEBHOOK_ALLOW_PRIVATE="1", OMS_SECRET_KEY=SECRET_KEY)  # the partner is on 127.0.0.1
    proc = subprocess.Popen([str(OMS), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)  # polling a process that is starting


def wait_for(check, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)  # polling another process's progress
    return False


def test_a_killed_relay_loses_nothing(database_url):
    Partner.got = []
    receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), Partner)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = free_port()
    proc = start(database_url, port)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, headers=ADMIN, timeout=30) as http:
            for path, body in (("/v1/products", PRODUCTS), ("/v1/nodes", NODES), ("/v1/inventory", STOCK)):
                assert http.put(path, json=body).status_code == 200
            hook = http.post("/v1/webhooks", json={"url": f"http://127.0.0.1:{receiver.server_port}/hook",
                                                   "events": ["*"], "secret": "a-secret-of-some-length"})
            assert hook.status_code == 201, hook.text
            ids = [http.post("/v1/orders", json=order(f"K-{i}", [("SKU-A", 1)])).json()["id"] for i in range(40)]
            assert wait_for(lambda: len(Partner.got) >= 5)
            os.kill(proc.pid, signal.SIGKILL)  # in the middle of handing events on
            proc.wait(timeout=10)
            proc = start(database_url, port)
            events = {e["id"] for order_id in ids for e in http.get(f"/v1/orders/{order_id}/events").json()}
            assert wait_for(lambda: events <= set(Partner.got)), f"{len(events - set(Partner.got))} never arrived"

            def log() -> list[dict]:
                deliveries = f"/v1/webhooks/{hook.json()['id']}/deliveries"
                return http.get(deliveries, params={"limit": 500}).json()["items"]

            # The partner has the last event a moment before the server records its answer: wait for the log.
            assert wait_for(lambda: {x["status"] for x in log()} == {"delivered"}), \
                f"not all delivered: {sorted({x['status'] for x in log()})}"
            assert len(log()) == len(events)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        receiver.shutdown()
