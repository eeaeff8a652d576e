"""Cold and warm timings: time_call, time_calls and cold_start_cost, on real calls."""

from __future__ import annotations

import http.server
import threading
import time

import numpy as np
import pytest
import requests

from prodml_workshop.serving.timing import cold_start_cost, time_call, time_calls


def test_time_call_returns_the_result_and_at_least_the_time_it_slept():
    result, seconds = time_call(lambda: time.sleep(0.05) or "done")
    assert result == "done"
    assert 0.05 <= seconds < 1.0


def test_time_calls_times_each_call_of_a_real_http_server_and_the_first_is_not_special():
    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        seconds = time_calls(lambda: requests.get(url, timeout=5).raise_for_status(), repeat=5)
    finally:
        server.shutdown()
    assert seconds.shape == (5,)
    assert (seconds > 0).all() and seconds.max() < 5


def test_time_calls_refuses_zero_repeats():
    with pytest.raises(ValueError, match="repeat must be at least 1"):
        time_calls(lambda: None, repeat=0)


def test_cold_start_cost_counts_the_cold_start_in_median_warm_calls():
    cost = cold_start_cost(3.0, np.array([0.002, 0.003, 0.004, 0.1]))
    assert cost["ratio"] == 857.1  # 3 s / 3.5 ms
    assert cost["warm_median_ms"] == 3.5
    assert 90 < cost["warm_p99_ms"] <= 100
    with pytest.raises(ValueError, match="warm_s is empty"):
        cold_start_cost(1.0, np.array([]))
