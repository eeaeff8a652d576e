"""What loading costs in memory: a private copy or pages mapped from the file, measured."""

from __future__ import annotations

import math
import pickle
import sys

import joblib
import numpy as np
import pytest
import safetensors.torch
import torch

from prodml_workshop.props.packaging import load_memory as load_memory_module
from prodml_workshop.props.packaging.load_memory import (
    LOADERS,
    describe_memory_columns,
    joblib_vs_pickle,
    load_memory,
    memory_split_available,
    weights_memory,
)

pytestmark = pytest.mark.slow  # every test loads files in fresh Python processes


def test_joblib_memory_mapping_maps_instead_of_copying(tmp_path):
    arrays = {"embedding": np.random.default_rng(0).normal(size=(2000, 1000))}  # 16 MB
    table = joblib_vs_pickle(arrays, tmp_path)

    copied = table.loc["joblib"]
    mapped = table.loc["joblib mmap_mode='r'"]
    assert copied["private_mb"] > 12 and mapped["private_mb"] < 4
    assert mapped["mapped_mb"] > 12
    assert table.loc["pickle", "private_mb"] > 12
    assert {"arrays.pkl", "arrays.joblib", "arrays-compressed.joblib"} <= set(table["file"])


def test_joblib_compression_shrinks_repetitive_arrays_only(tmp_path):
    repetitive = joblib_vs_pickle({"counts": np.zeros(2_000_000, dtype=np.int64)}, tmp_path / "a")
    noise = joblib_vs_pickle({"noise": np.random.default_rng(1).random(2_000_000)}, tmp_path / "b")

    assert repetitive.loc["joblib compress=3", "size_mb"] < 0.1 * 16
    assert noise.loc["joblib compress=3", "size_mb"] > 0.8 * 16


def test_weights_memory_reads_one_tensor_without_the_others(tmp_path):
    weights = {f"{i}.weight": torch.full((1024, 1024), float(i)) for i in range(4)}  # 4 MB each
    torch.save(weights, tmp_path / "w.pt")
    safetensors.torch.save_file(weights, tmp_path / "w.safetensors")

    table = weights_memory(tmp_path / "w.pt", tmp_path / "w.safetensors", tensor="3.weight")

    assert table.loc["torch.load", "private_mb"] > 14
    one = table.loc["safetensors safe_open"]
    assert one["task"] == "one tensor (3.weight)" and one["private_mb"] + one["mapped_mb"] < 10
    assert table.loc["safetensors.numpy.load_file", "private_mb"] > 14  # numpy gets a copy


def test_load_memory_reads_what_it_loads(tmp_path):
    file = tmp_path / "a.pkl"
    file.write_bytes(pickle.dumps({"a": np.arange(10.0), "b": np.ones(3)}))
    assert load_memory(file, "pickle.load")["checksum"] == 48.0
    assert load_memory(file, "pickle.load", key="b")["checksum"] == 3.0


def test_load_memory_refuses_an_unknown_loader_and_reports_a_failed_load(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown loader 'numpy\.load'; choose one of"):
        load_memory(tmp_path / "x", "numpy.load")
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x00" * 4)
    with pytest.raises(RuntimeError, match=r"safetensors\.numpy\.load_file failed on"):
        load_memory(broken, "safetensors.numpy.load_file")
    assert "torch.load(mmap=True)" in LOADERS


def test_this_system_says_whether_it_splits_private_from_mapped_memory():
    assert memory_split_available() == sys.platform.startswith("linux")
    assert ("RssAnon" in describe_memory_columns()) == memory_split_available()


@pytest.fixture
def without_proc_status(monkeypatch, tmp_path):
    """What macOS and Windows have: no /proc/self/status for load_memory to read."""
    monkeypatch.setattr(load_memory_module, "_STATUS", tmp_path / "no-proc" / "status")


def test_without_proc_a_copy_is_counted_in_the_uss(tmp_path, without_proc_status):
    arrays = {"embedding": np.random.default_rng(0).normal(size=(2000, 1000))}  # 16 MB
    table = joblib_vs_pickle(arrays, tmp_path)

    assert not memory_split_available()
    assert "unique set size (USS)" in describe_memory_columns()
    for copied in ("pickle", "joblib"):
        assert 0.9 * 16 < table.loc[copied, "private_mb"] < 1.5 * 16
    assert table["mapped_mb"].isna().all() and table["peak_mb"].isna().all()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="compares with Linux's split")
def test_without_proc_the_uss_cannot_tell_a_mapped_file_from_a_copy(tmp_path, monkeypatch):
    # Why the fallback says it cannot show the split: a file only this process maps is its own.
    file = tmp_path / "a.joblib"
    joblib.dump({"w": np.random.default_rng(2).random((1000, 2000))}, file)  # 16 MB
    linux = load_memory(file, "joblib.load(mmap_mode='r')")
    monkeypatch.setattr(load_memory_module, "_STATUS", tmp_path / "no-proc" / "status")
    uss = load_memory(file, "joblib.load(mmap_mode='r')")

    assert linux["private_mb"] < 2 and linux["mapped_mb"] > 14
    assert uss["private_mb"] > 14 and math.isnan(uss["mapped_mb"])
    assert uss["checksum"] == linux["checksum"]
