"""Technical health of a running service, from its Prometheus ``/metrics`` text.

BentoML exposes counters and histograms in the Prometheus text format: one sample per line,
``name{label="value",...} number``. :func:`parse_metrics` reads them into a DataFrame and
:func:`request_summary` gives, per endpoint and status code, the number of requests and their
mean latency — the signals to watch next to drift: a rise of 4xx answers often means clients
send data the model was not built for, a rise of latency that something else changed.

Examples
--------
>>> text = '''# TYPE bentoml_service_request_total counter
... bentoml_service_request_total{endpoint="/predict",http_response_code="200"} 3.0
... '''
>>> parse_metrics(text)[["name", "endpoint", "value"]].to_dict("records")
[{'name': 'bentoml_service_request_total', 'endpoint': '/predict', 'value': 3.0}]
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["REQUEST_DURATION", "REQUEST_TOTAL", "metric_lines", "parse_metrics", "request_summary"]

#: BentoML's counter of requests, by endpoint and status code.
REQUEST_TOTAL = "bentoml_service_request_total"
#: BentoML's histogram of request durations, in seconds.
REQUEST_DURATION = "bentoml_service_request_duration_seconds"

_SAMPLE = re.compile(r"^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$")
_LABEL = re.compile(r'([A-Za-z_]\w*)="((?:[^"\\]|\\.)*)"')


def metric_lines(text: str, names: Iterable[str], **labels: str) -> list[str]:
    """Return the sample lines of the named metrics whose labels match, as written.

    Parameters
    ----------
    text : str
        The ``/metrics`` answer.
    names : iterable of str
        Metric names; a histogram's name also matches its ``_bucket``, ``_sum`` and
        ``_count`` lines.
    **labels : str
        Label values the lines must carry, e.g. ``endpoint="/predict"``.

    Returns
    -------
    list of str
        The matching lines, in their order.

    Examples
    --------
    >>> metric_lines('a_total{x="1"} 2\\nb 3', ["a_total"])
    ['a_total{x="1"} 2']
    """
    names = tuple(names)
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    kept = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = re.split(r"[{\s]", line, maxsplit=1)[0]
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if (name in names or base in names) and all(w in line for w in wanted):
            kept.append(line)
    return kept


def parse_metrics(text: str) -> pd.DataFrame:
    """Read Prometheus text into one row per sample.

    Parameters
    ----------
    text : str
        The ``/metrics`` answer.

    Returns
    -------
    pandas.DataFrame
        ``name``, one column per label seen (missing labels are NaN) and ``value`` (float).

    Raises
    ------
    ValueError
        If a line that is not a comment is not a sample.

    Examples
    --------
    >>> parse_metrics("up 1\\n")["value"].tolist()
    [1.0]
    """
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            raise ValueError(f"Line {number} is not a Prometheus sample: {line!r}")
        name, labels, value = match.groups()
        rows.append({"name": name, **dict(_LABEL.findall(labels or "")), "value": float(value)})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["name", "value"])
    return frame[["name", *[c for c in frame.columns if c not in ("name", "value")], "value"]]


def request_summary(text: str) -> pd.DataFrame:
    """Count requests and their mean latency per endpoint and status code.

    Parameters
    ----------
    text : str
        The ``/metrics`` answer of a BentoML service.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(endpoint, http_response_code)``, with ``requests`` and
        ``mean_latency_ms``; only rows with at least one request.

    Examples
    --------
    >>> request_summary(requests.get(f"{server.url}/metrics").text)  # doctest: +SKIP
    """
    metrics = parse_metrics(text)
    if "endpoint" not in metrics.columns:
        return pd.DataFrame(columns=["requests", "mean_latency_ms"])
    keys = ["endpoint", "http_response_code"]

    def by_key(name: str) -> pd.Series:
        return metrics[metrics["name"] == name].groupby(keys)["value"].sum()

    summary = pd.DataFrame(
        {
            "requests": by_key(f"{REQUEST_DURATION}_count"),
            "seconds": by_key(f"{REQUEST_DURATION}_sum"),
        }
    )
    summary = summary[summary["requests"] > 0]
    summary["requests"] = summary["requests"].astype(int)
    summary["mean_latency_ms"] = 1000 * summary["seconds"] / summary["requests"]
    return summary.drop(columns="seconds")
