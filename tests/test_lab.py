"""`make lab` serves JupyterLab on the workshop; jupyter-server-proxy reaches a local service."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from prodml_workshop.serving.ports import free_port

pytestmark = pytest.mark.server

TOKEN = "workshop-test-token"


@pytest.fixture(scope="module")
def lab(root, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("lab") / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                shutil.which("make"),
                "lab",
                f"PORT={port}",
                f"LAB_ARGS=--no-browser --allow-root --IdentityProvider.token={TOKEN}",
            ],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                requests.get(f"{url}/api/status", params={"token": TOKEN}, timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


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
