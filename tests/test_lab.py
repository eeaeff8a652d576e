"""`make lab` serves JupyterLab on the workshop; jupyter-server-proxy reaches a local service."""

import subprocess
import sys
import time

import pytest
import requests

from prodml_workshop.serving.ports import free_port

pytestmark = pytest.mark.server

TOKEN = "workshop-test-token"


@pytest.fixture(scope="module")
def lab(make_lab, tmp_path_factory):
    log = tmp_path_factory.mktemp("lab") / "lab.log"
    with make_lab(log, f"--no-browser --allow-root --IdentityProvider.token={TOKEN}") as url:
        yield url


def test_make_lab_serves_the_notebooks(lab):
    headers = {"Authorization": f"token {TOKEN}"}
    listing = requests.get(f"{lab}/api/contents/notebooks", headers=headers, timeout=10)
    assert listing.status_code == 200
    assert "00_setup.ipynb" in {item["name"] for item in listing.json()["content"]}
    page = requests.get(f"{lab}/lab/tree/notebooks/00_setup.ipynb", headers=headers, timeout=10)
    assert page.status_code == 200 and "JupyterLab" in page.text


def test_a_local_service_is_reachable_through_the_proxy(lab, tmp_path):
    (tmp_path / "hello.txt").write_text("served through the proxy")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        headers = {"Authorization": f"token {TOKEN}"}
        for _ in range(40):
            reply = requests.get(f"{lab}/proxy/{port}/hello.txt", headers=headers, timeout=10)
            if reply.status_code == 200:
                break
            time.sleep(0.25)
        assert reply.text == "served through the proxy"
    finally:
        server.terminate()
        server.wait(timeout=10)
