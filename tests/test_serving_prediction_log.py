"""The prediction log: no row lost under concurrent writers, read back as a DataFrame."""

import multiprocessing
import threading

import pandas as pd
import pytest

from prodml_workshop.serving import PredictionLog, model_version, read_log

PROCESSES, THREADS, BATCHES, ROWS = 3, 4, 40, 5


def _write(path, name):
    log = PredictionLog(path)

    def thread(t):
        for b in range(BATCHES):
            rows = [(f"{name}-{t}-{b}", {"x": float(r)}, "Adelie") for r in range(ROWS)]
            log.append("predict", "v1", rows, latency_ms=0.1)

    threads = [threading.Thread(target=thread, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()


def test_concurrent_processes_and_threads_lose_no_row(tmp_path):
    path = tmp_path / "log.sqlite"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write, args=(path, f"p{i}")) for i in range(PROCESSES)]
    for writer in writers:
        writer.start()
    _write(path, "main")  # and this process at the same time
    for writer in writers:
        writer.join(timeout=60)
        assert writer.exitcode == 0
    log = read_log(path)
    assert len(log) == (PROCESSES + 1) * THREADS * BATCHES * ROWS
    assert log.groupby("request_id").size().eq(ROWS).all()
    assert (log["batch_size"] == ROWS).all()


def test_read_log_gives_one_row_per_prediction_with_parsed_json(tmp_path):
    log = PredictionLog(tmp_path / "log.sqlite")
    log.append("predict_proba", "v2", [("r1", {"island": None}, {"A": 0.25, "B": 0.75})],
               latency_ms=2.5)  # fmt: skip
    frame = read_log(tmp_path / "log.sqlite")
    assert list(frame.columns) == [
        "timestamp", "request_id", "endpoint", "model_version", "batch_size", "latency_ms",
        "inputs", "outputs", "quality", "role",
    ]  # fmt: skip
    row = frame.iloc[0]
    assert row["inputs"] == {"island": None} and row["outputs"] == {"A": 0.25, "B": 0.75}
    assert row["endpoint"] == "predict_proba" and row["latency_ms"] == 2.5
    assert isinstance(row["timestamp"], pd.Timestamp) and str(row["timestamp"].tz) == "UTC"
    log.close()


def test_read_log_names_the_missing_file_and_does_not_create_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="PRODML_LOG_DB"):
        read_log(tmp_path / "none.sqlite")
    assert not (tmp_path / "none.sqlite").exists()


def test_model_version_changes_when_the_package_changes():
    manifest = {"format": "skops", "created_at": "2026-01-01T00:00:00+00:00", "artifacts": {}}
    version = model_version(manifest)
    assert version.startswith("skops-") and version == model_version(dict(manifest))
    assert model_version({**manifest, "created_at": "2026-01-02T00:00:00+00:00"}) != version


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://course:s3cret@127.0.0.1:5432/shared",
        "postgresql+psycopg://course:s3cret@db/logs",
        "mysql://course:s3cret@localhost/logs",
    ],
)
def test_a_database_url_is_refused_everywhere_not_taken_as_a_folder(url, tmp_path, monkeypatch):
    from prodml_workshop.serving import serve
    from prodml_workshop.serving.prediction_log import LogLocationError, log_path_from_env

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRODML_LOG_DB", url)
    attempts = [
        lambda: PredictionLog(url),
        lambda: read_log(url),
        log_path_from_env,
        lambda: serve(tmp_path / "no package", log_db=url),
    ]
    for attempt in attempts:
        with pytest.raises(LogLocationError, match="is a database URL: give a file path") as error:
            attempt()
        assert "s3cret" not in str(error.value) and "course:***@" in str(error.value)
    assert list(tmp_path.iterdir()) == []  # no 'postgresql:' folder, no SQLite file
