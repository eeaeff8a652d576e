"""load_test(): Locust against a real server measures it, counts its errors, and always stops."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from prodml_workshop.scaling import load_test, penguin_payload, serve_bare
from prodml_workshop.serving.ports import free_port


@pytest.fixture(scope="module")
def server(course_packages):
    with serve_bare(course_packages("onnx")) as running:
        yield running


def _locusts(url):
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "locust" in cmdline and url in cmdline:
            found.append(process)
    return found


@pytest.mark.server
def test_load_test_measures_throughput_and_ordered_latencies(server):
    stats = load_test(server.url, users=4, duration=2, payload=penguin_payload(), warmup=0.5,
                      progress=False)  # fmt: skip
    [row] = stats.to_dict("records")
    assert row["failures"] == 0, row["errors"]
    assert row["requests"] > 0 and row["rps"] > 0
    assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert row["users"] == 4 and row["duration_s"] == 2
    assert not _locusts(server.url)  # the load generator did not outlive the call


@pytest.mark.server
def test_load_test_counts_error_responses_as_failures(server):
    stats = load_test(server.url, users=2, duration=1, warmup=0, payload={"records": "nonsense"},
                      progress=False)  # fmt: skip
    [row] = stats.to_dict("records")
    assert row["requests"] > 0
    assert row["failures"] == row["requests"]
    assert "HTTP 400" in row["errors"]


@pytest.mark.server
def test_load_test_refuses_a_warmup_as_long_as_the_run(server):
    with pytest.raises(ValueError, match="warmup"):
        load_test(server.url, duration=2, warmup=2)


@pytest.mark.server
def test_load_test_counts_refused_connections_as_failures():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    [row] = load_test(url, users=2, duration=1, warmup=0, progress=False).to_dict("records")
    assert row["requests"] > 0
    assert row["failures"] == row["requests"]
    assert "Connection refused" in row["errors"]


def test_load_test_refuses_a_url_without_scheme():
    with pytest.raises(ValueError, match="http://"):
        load_test("127.0.0.1:3000", duration=1)


@pytest.mark.server
def test_no_locust_survives_an_interrupted_load_test(server, tmp_path):
    caller = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                from prodml_workshop.scaling import load_test
                load_test({server.url!r}, users=2, duration=60, endpoint="/readyz",
                          progress=False)
            """),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _locusts(server.url) and time.monotonic() < deadline:
            time.sleep(0.2)
        locusts = _locusts(server.url)
        assert locusts, "locust never started"
        time.sleep(1)
        os.kill(caller.pid, signal.SIGINT)  # what interrupting the kernel does
        _, stderr = caller.communicate(timeout=30)
        assert "KeyboardInterrupt" in stderr
        _, alive = psutil.wait_procs(locusts, timeout=5)
        assert not alive, [" ".join(p.cmdline()) for p in alive]
        assert not _locusts(server.url)
    finally:
        if caller.poll() is None:
            caller.kill()
