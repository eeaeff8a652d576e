"""Reading a service's Prometheus text: samples, label filters and the request summary."""

import pytest

from prodml_workshop.monitoring.service_metrics import (
    metric_lines,
    parse_metrics,
    request_summary,
)

LABELS = 'runner_name="ModelService",service_name="ModelService"'
TOTAL = "bentoml_service_request_total"
DURATION = "bentoml_service_request_duration_seconds"
OK, BAD = (
    'endpoint="/predict",http_response_code="200"',
    'endpoint="/predict",http_response_code="400"',
)
TEXT = f"""# HELP {TOTAL} Total number of HTTP requests
# TYPE {TOTAL} counter
{TOTAL}{{{OK},{LABELS}}} 5.0
{TOTAL}{{{BAD},{LABELS}}} 1.0
{TOTAL}{{endpoint="/readyz",http_response_code="200",{LABELS}}} 3.0
# TYPE {DURATION} histogram
{DURATION}_sum{{{OK},{LABELS}}} 0.25
{DURATION}_bucket{{{OK},le="0.1",{LABELS}}} 4.0
{DURATION}_bucket{{{OK},le="+Inf",{LABELS}}} 5.0
{DURATION}_count{{{OK},{LABELS}}} 5.0
{DURATION}_sum{{{BAD},{LABELS}}} 0.002
{DURATION}_count{{{BAD},{LABELS}}} 1.0
{DURATION}_count{{endpoint="/docs",http_response_code="200",{LABELS}}} 0.0
bentoml_service_request_in_progress{{endpoint="/predict",{LABELS}}} 0.0
"""


def test_parse_metrics_reads_names_labels_and_values():
    metrics = parse_metrics(TEXT)
    assert len(metrics) == 11
    assert list(metrics.columns[:3]) == ["name", "endpoint", "http_response_code"]
    bucket = metrics[metrics["le"] == "+Inf"].iloc[0]
    assert bucket["name"] == "bentoml_service_request_duration_seconds_bucket"
    assert bucket["value"] == 5.0


def test_parse_metrics_refuses_a_line_that_is_not_a_sample():
    with pytest.raises(ValueError, match="Line 2 is not a Prometheus sample"):
        parse_metrics("up 1\nthis is not a sample\n")
    assert parse_metrics("# only comments\n").empty


def test_metric_lines_keeps_a_histogram_family_and_filters_labels():
    lines = metric_lines(TEXT, ["bentoml_service_request_duration_seconds"], endpoint="/predict")
    assert len(lines) == 6
    assert all(line.startswith("bentoml_service_request_duration_seconds_") for line in lines)
    counts = metric_lines(TEXT, ["bentoml_service_request_total"], http_response_code="400")
    assert counts == [TEXT.splitlines()[3]]


def test_request_summary_counts_requests_and_mean_latency():
    summary = request_summary(TEXT)
    assert list(summary.index) == [("/predict", "200"), ("/predict", "400")]
    assert summary.loc[("/predict", "200"), "requests"] == 5
    assert summary.loc[("/predict", "200"), "mean_latency_ms"] == pytest.approx(50.0)
    assert summary.loc[("/predict", "400"), "mean_latency_ms"] == pytest.approx(2.0)
    assert request_summary("up 1\n").empty
