"""What the end-to-end tests share: a real server process on a fresh database."""

import subprocess
import time

import httpx
import pytest

from tests.e2e.test_server import OMS
from tests.support import free_port, server_env


@pytest.fixture
def server(database_url):
    port = free_port()
    # Reference data checked at every request: a test reads back at once what it has just written.
    env = server_env(database_url, OMS_REFERENCE_REFRESH_SECONDS="0")
    proc = subprocess.Popen([str(OMS), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server did not become ready:\n{proc.stdout.read()}")
        time.sleep(0.1)  # polling a process that is starting, not synchronising tests
    yield url
    proc.terminate()
    proc.wait(timeout=20)
