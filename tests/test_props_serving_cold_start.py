"""Cold and warm timings: time_call, time_calls and cold_start_cost, on known workloads.

No bound on how long anything takes: a clock that moves only when a call says so gives exact
seconds, and real calls that sleep a known time are checked against what the same clock
(``time.perf_counter``) saw around them: at least the sleep, at most the time around the call.
"""

from __future__ import annotations

import http.server
import threading
import time

import numpy as np
import pytest
import requests

from prodml_workshop.props.serving import cold_start
from prodml_workshop.props.serving.cold_start import cold_start_cost, time_call, time_calls


class _Clock:
    """A ``perf_counter`` that moves only inside the calls it makes (binary fractions: exact)."""

    def __init__(self) -> None:
        self.now = 1024.0
        self.calls: list[float] = []

    def perf_counter(self) -> float:
        return self.now

    def work(self, seconds: float, result: object = None):
        def call():
            self.calls.append(seconds)
            self.now += seconds
            return result

        return call


@pytest.fixture
def clock(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(cold_start, "time", clock)  # the module's clock, not the test's
    return clock


def test_time_call_returns_the_result_and_the_seconds_the_clock_moved_during_it(clock):
    assert time_call(clock.work(0.25, "done")) == ("done", 0.25)
    clock.now += 7.0  # time between calls is no call's
    assert time_call(clock.work(0.125)) == (None, 0.125)
    assert clock.calls == [0.25, 0.125]


def test_time_call_returns_the_result_and_at_least_the_time_it_slept():
    before = time.perf_counter()
    result, seconds = time_call(lambda: time.sleep(0.05) or "done")
    around = time.perf_counter() - before
    assert result == "done"
    assert 0.05 <= seconds <= around


def test_time_calls_times_each_call_once_in_order(clock):
    works = [0.5, 0.125, 0.25, 0.0625]
    calls = iter(clock.work(seconds) for seconds in works)
    seconds = time_calls(lambda: next(calls)(), repeat=len(works))
    assert isinstance(seconds, np.ndarray) and seconds.tolist() == works
    assert clock.calls == works  # each call made once, none before or after


def test_time_calls_times_each_call_of_a_real_http_server_and_the_first_is_not_special():
    delays = [0.2, 0.02, 0.02, 0.02, 0.02]  # the server's time for each request, in order
    served = []

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(delays[len(served)])
            served.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        before = time.perf_counter()
        seconds = time_calls(lambda: requests.get(url, timeout=5).raise_for_status(), repeat=5)
        around = time.perf_counter() - before
    finally:
        server.shutdown()
    assert seconds.shape == (5,)
    assert len(served) == 5  # five requests: no warm-up call, none left out
    # Call i lasted at least its request's server time, and all of them fit in the time around
    # them: the first (slow) call is timed first, like any other, and nothing is counted twice.
    assert (seconds >= delays).all(), (seconds, delays)
    assert seconds.sum() <= around


def test_time_calls_refuses_zero_repeats():
    with pytest.raises(ValueError, match="repeat must be at least 1"):
        time_calls(lambda: None, repeat=0)


def test_cold_start_cost_counts_the_cold_start_in_median_warm_calls():
    cost = cold_start_cost(3.0, np.array([0.002, 0.003, 0.004, 0.1]))
    assert cost["ratio"] == 857.1  # 3 s / 3.5 ms
    assert cost["warm_median_ms"] == 3.5
    assert cost["warm_p99_ms"] == 97.12  # 4 ms + 0.97 x (100 - 4) ms, between the last two
    assert cost["cold_s"] == 3.0
    with pytest.raises(ValueError, match="warm_s is empty"):
        cold_start_cost(1.0, np.array([]))
