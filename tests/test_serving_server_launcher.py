"""serve(): a real server starts, answers, and leaves no process or port behind."""

import contextlib
import socket
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests

from prodml_workshop.serving import ServerStartError, default_model_dir, serve, to_records

pytestmark = pytest.mark.server


def _tree(pid):
    return psutil.Process(pid).children(recursive=True)


def test_serve_without_a_model_serves_the_default_and_stops_everything_on_interrupt(
    tmp_path, monkeypatch, assert_stopped, penguin_inputs
):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    penguin = to_records(penguin_inputs.head(1))
    with (
        pytest.raises(KeyboardInterrupt),
        serve(log_db=tmp_path / "log.sqlite", timeout=120) as server,
    ):
        processes = _tree(server._process.pid)
        assert any("bentoml" in " ".join(p.cmdline()) for p in processes)
        assert server.model_dir == default_model_dir()
        assert server.client.predict(records=penguin) == ["Adelie"]
        raise KeyboardInterrupt  # what an interrupted kernel raises inside the cell
    assert not server.running
    assert_stopped(processes, server.port)
    assert "Service instance cleanup finalized" in server.logs()


def test_serve_raises_with_the_server_log_when_the_model_dir_is_wrong(tmp_path):
    with pytest.raises(ServerStartError) as error:
        serve(tmp_path / "no-such-model", log_db=tmp_path / "log.sqlite", timeout=60)
    message = str(error.value)
    assert "exited with code" in message
    assert "PRODML_MODEL_DIR" in message and "not a model package" in message
    assert "Traceback" in message  # the server's own log


def test_no_server_survives_its_caller_being_killed(course_packages, tmp_path, assert_stopped):
    # ONNX: the format is not the point, and its workers start in half the time of skops'.
    package, log_db = str(course_packages("onnx")), str(tmp_path / "l.db")
    caller = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import time
                from prodml_workshop.serving import serve
                with serve({package!r}, workers=2, log_db={log_db!r}) as s:
                    print(s.port, s._folder, flush=True)
                    time.sleep(600)
            """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = []
        reader = threading.Thread(target=lambda: line.append(caller.stdout.readline()))
        reader.start()
        reader.join(timeout=90)
        port, folder = line[0].split()
        port = int(port)
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        processes = _tree(caller.pid)
        workers = [p for p in processes if "_bentoml_impl.worker" in " ".join(p.cmdline())]
        assert len(workers) == 2  # each in a session of its own, out of the caller's group
        caller.kill()  # SIGKILL: the caller runs no cleanup at all
        caller.wait()
        assert_stopped(processes, port)
        assert not Path(folder).exists()  # the server's log and BentoML home went with it
    finally:
        if caller.poll() is None:
            caller.kill()


def _predict_requests_counted(url):
    text = requests.get(f"{url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("bentoml_service_request_total") and 'endpoint="/predict"' in line
    )


def test_two_servers_at_once_keep_their_metrics_apart(course_packages, tmp_path, penguin_inputs):
    package, record = course_packages("onnx"), to_records(penguin_inputs.head(1))
    # Both start at the same time (serve() blocks until its server is ready); whichever
    # started is stopped, also when the other failed.
    with ThreadPoolExecutor(max_workers=2) as pool:
        starting = [
            pool.submit(serve, package, log_db=tmp_path / f"{n}.db", timeout=120) for n in "ab"
        ]
    with contextlib.ExitStack() as started:
        for start in starting:
            if start.exception() is None:
                started.enter_context(start.result())
        first, second = (start.result() for start in starting)  # a failed start raises here
        for _ in range(3):
            requests.post(f"{first.url}/predict", json={"records": record}, timeout=30)
        requests.post(f"{second.url}/predict", json={"records": record}, timeout=30)
        assert _predict_requests_counted(first.url) == 3
        assert _predict_requests_counted(second.url) == 1


def test_a_port_taken_between_its_pick_and_its_bind_gets_a_new_start(
    course_packages, tmp_path, monkeypatch
):
    from prodml_workshop.serving import server_launcher

    real_free_port, picked = server_launcher.free_port, []
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()  # another program binds the first port picked, before the server does
        first = taken.getsockname()[1]

        def free_port(host):
            picked.append(first if not picked else real_free_port(host))
            return picked[-1]

        monkeypatch.setattr(server_launcher, "free_port", free_port)
        package = course_packages("onnx")
        with serve(package, log_db=tmp_path / "log.sqlite", timeout=120) as server:
            assert picked[0] == first and len(picked) == 2 and server.port == picked[1]
            assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200


def test_a_port_that_stays_taken_fails_after_the_retries_with_the_servers_reason(
    course_packages, tmp_path, monkeypatch
):
    from prodml_workshop.serving import server_launcher

    real_model_server, started = server_launcher.ModelServer, []

    def model_server(**kwargs):
        started.append(kwargs["port"])
        return real_model_server(**kwargs)

    monkeypatch.setattr(server_launcher, "ModelServer", model_server)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerStartError, match="Address already in use"):
            serve(course_packages("onnx"), port=port, log_db=tmp_path / "log.sqlite", timeout=60)
    assert started == [port] * server_launcher.PORT_RACE_ATTEMPTS
