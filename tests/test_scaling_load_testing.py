"""load_test(): Locust against a real server measures it, stage by stage, counts its errors,
and always stops; plot_load_test() draws throughput and p99 by users."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import matplotlib
import pandas as pd
import psutil
import pytest

from prodml_workshop.props.scaling import serve_bare
from prodml_workshop.scaling import load_test, penguin_payload, plot_load_test
from prodml_workshop.serving.ports import free_port

matplotlib.use("Agg")


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
def test_load_test_measures_each_stage_its_throughput_latencies_and_server_cpu(server):
    stats = load_test(server.url, users=(1, 4), duration=1, payload=penguin_payload(),
                      warmup=0.25, server_pid=server._process.pid, progress=False)  # fmt: skip
    assert stats["users"].tolist() == [1, 4] and (stats["duration_s"] == 1).all()
    for row in stats.to_dict("records"):
        assert row["failures"] == 0, row["errors"]
        assert row["requests"] > 0 and row["rps"] > 0
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
        assert row["mean_ms"] > 0
        # Little's law in a closed loop: users = throughput x (response time + the client's
        # time between an answer and its next request); a short window blurs it a little
        assert 1.2 * row["users"] >= row["rps"] * row["mean_ms"] / 1e3 > row["users"] / 5
        assert row["server_cpu_ms"] > 0  # the server's CPU time per request
        assert row["measured_from"] < row["measured_to"]
    # the stages follow each other, each measured after its warm-up
    assert stats["measured_to"].iloc[0] <= stats["measured_from"].iloc[1] - 0.25
    assert not _locusts(server.url)  # the load generator did not outlive the call


def test_load_test_refuses_stages_that_make_no_sense():
    with pytest.raises(ValueError, match="whole numbers >= 1"):
        load_test("http://127.0.0.1:1", users=(0, 4), duration=1)
    with pytest.raises(ValueError, match="same users"):
        load_test("http://127.0.0.1:1", users=(4, 4), duration=1)


def test_plot_load_test_draws_throughput_and_p99_by_users_and_overlays_runs():
    stats = pd.DataFrame({"users": [1, 8, 32], "rps": [60.0, 140.0, 300.0],
                          "p99_ms": [20.0, 90.0, 170.0]})  # fmt: skip
    axes = plot_load_test(stats, label="batched")
    plot_load_test(stats.assign(rps=[60.0, 30.0, 35.0]), label="unbatched", axes=axes)
    assert [ax.get_ylabel() for ax in axes] == ["requests per second", "p99 latency (ms)"]
    assert [len(ax.get_lines()) for ax in axes] == [2, 2]
    assert list(axes[0].get_lines()[1].get_ydata()) == [60.0, 30.0, 35.0]
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == ["batched", "unbatched"]


@pytest.mark.server
def test_load_test_counts_error_responses_as_failures(server):
    stats = load_test(server.url, users=2, duration=1, warmup=0, payload={"records": "nonsense"},
                      progress=False)  # fmt: skip
    [row] = stats.to_dict("records")
    assert row["requests"] > 0
    assert row["failures"] == row["requests"]
    assert "HTTP 400" in row["errors"]
    assert row["users"] == 2 and pd.isna(row["server_cpu_ms"])  # one stage; no server_pid


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
            # A kernel turns SIGINT into KeyboardInterrupt. pytest-xdist's workers ignore
            # SIGINT, and a child inherits an ignored signal: give it Python's default back.
            textwrap.dedent(f"""
                import signal
                signal.signal(signal.SIGINT, signal.default_int_handler)
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
