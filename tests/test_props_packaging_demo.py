"""The lecture helpers: the PyTorch net, the big model, the safetensors header, load timings."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
import safetensors.torch
import torch

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.packaging import compare_formats, load_model, save_model
from prodml_workshop.penguin_model import NUMERIC
from prodml_workshop.props.packaging.demo import (
    big_model,
    plot_formats,
    safetensors_header,
    time_loads,
    train_penguin_net,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def penguins():
    return load_penguins()


# train_penguin_net uses torch.optim, which imports torch._dynamo (~2.5 s): no other unit-tier
# test needs it.
@pytest.mark.slow
def test_train_penguin_net_learns_species_and_records_its_architecture(penguins, tmp_path):
    complete = penguins.dropna(subset=NUMERIC)
    X = complete[NUMERIC].to_numpy(np.float32)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    net = train_penguin_net(X, complete["species"], hidden=8, epochs=100)

    assert net.classes_ == ["Adelie", "Chinstrap", "Gentoo"]
    assert net.init_kwargs == {"n_features": 4, "n_outputs": 3, "hidden": 8}
    assert not net.training
    save_model(net, tmp_path, format="safetensors", sample_input=X[:5], init_kwargs=net.init_kwargs)
    accuracy = (load_model(tmp_path).predict(X) == complete["species"].to_numpy()).mean()
    assert accuracy > 0.9


@pytest.mark.slow  # torch.optim: see above
def test_train_penguin_net_is_reproducible():
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    y = ["a", "b", "c"] * 10
    first, second = (train_penguin_net(X, y, epochs=5) for _ in range(2))
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_safetensors_header_lists_names_dtypes_shapes_and_offsets(tmp_path):
    file = tmp_path / "w.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(2, 3), "b": torch.zeros(3)}, file)
    header = safetensors_header(file)
    assert header["w"]["dtype"] == "F32" and header["w"]["shape"] == [2, 3]
    assert sorted(k for k in header if k != "__metadata__") == ["b", "w"]


def test_safetensors_header_refuses_a_pickle(tmp_path):
    file = tmp_path / "w.pt"
    torch.save({"w": torch.zeros(2)}, file)
    with pytest.raises(ValueError, match="safetensors"):
        safetensors_header(file)


def test_big_model_has_the_requested_size():
    model = big_model(n_layers=3, width=16)
    assert sum(p.numel() for p in model.parameters()) == 3 * (16 * 16 + 16)
    assert list(model.state_dict()) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "2.weight",
        "2.bias",
    ]


@pytest.mark.slow
def test_time_loads_times_every_loader_on_both_tasks(tmp_path):
    weights = big_model(n_layers=2, width=64).state_dict()
    torch.save(weights, tmp_path / "w.pt")
    safetensors.torch.save_file(weights, tmp_path / "w.safetensors")

    times = time_loads(
        tmp_path / "w.pt", tmp_path / "w.safetensors", "1.weight", repeats=2, progress=False
    )
    assert list(times.columns) == ["task", "loader", "call", "seconds", "all_runs_s"]
    assert len(times) == 6
    table = times.pivot(index="loader", columns="task", values="seconds")
    assert table.shape == (3, 2) and not table.isna().any().any()
    assert (times["seconds"] > 0).all()
    assert all(len(runs) == 2 and min(runs) >= 0 for runs in times["all_runs_s"])


def test_plot_formats_draws_size_and_times(penguins, course_model):
    X = penguins[PENGUIN_FEATURES]
    table = compare_formats(course_model, X, formats=["pickle", "skops"])
    fig = plot_formats(table)
    assert [ax.get_title() for ax in fig.axes] == [
        "artifact size (KB)",
        "load time (ms)",
        "predict time (ms)",
    ]
    assert isinstance(table, pd.DataFrame)
