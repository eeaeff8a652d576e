"""One adaptive batch: a request the model refuses gets 422 alone, the others their predictions."""

import pytest
from pydantic import TypeAdapter
from sklearn.linear_model import LogisticRegression

from prodml_workshop.data import load_penguins
from prodml_workshop.packaging import load_model, save_model
from prodml_workshop.serving import PredictionLog, read_log
from prodml_workshop.serving.predictor import BatchPredictor
from prodml_workshop.serving.refusals import Refusal
from prodml_workshop.serving.responses import RefusedRequest, label_type, served
from prodml_workshop.serving.validation import REQUEST_ID, record_model, records_type

NUMERIC = ["bill_length_mm", "bill_depth_mm"]


@pytest.fixture(scope="module")
def strict_model(tmp_path_factory):
    """A model without an imputer: it refuses a missing value, which the schema allows."""
    penguins = load_penguins().dropna(subset=NUMERIC)
    model = LogisticRegression(max_iter=1000).fit(penguins[NUMERIC], penguins["species"])
    path = tmp_path_factory.mktemp("models") / "strict"
    return load_model(
        save_model(model, path, format="skops", sample_input=penguins[NUMERIC].head())
    )


def _request(model, request_id, rows):
    token = REQUEST_ID.set(request_id)
    try:
        return TypeAdapter(records_type(record_model(model.manifest))).validate_python(rows)
    finally:
        REQUEST_ID.reset(token)


def test_a_refused_request_does_not_spoil_the_others_in_its_batch(strict_model, tmp_path):
    good = _request(strict_model, "good", [{"bill_length_mm": 39.1, "bill_depth_mm": 18.7}] * 2)
    bad = _request(strict_model, "bad", [{"bill_length_mm": None, "bill_depth_mm": 18.7}])
    predictor = BatchPredictor(strict_model, PredictionLog(tmp_path / "log.sqlite"))
    outputs = predictor.run("predict", [good[0], bad[0], good[1]])
    assert outputs[0] == outputs[2] == "Adelie"
    assert isinstance(outputs[1], Refusal) and "NaN" in outputs[1].message
    log = read_log(tmp_path / "log.sqlite")
    assert log["request_id"].tolist() == ["good", "good"]  # only what was served is logged


def test_predict_proba_outputs_are_keyed_by_class(strict_model, tmp_path):
    records = _request(strict_model, "r", {"bill_length_mm": 50.0, "bill_depth_mm": 15.0})
    predictor = BatchPredictor(strict_model, PredictionLog(tmp_path / "log.sqlite"))
    [probabilities] = predictor.run("predict_proba", records)
    assert list(probabilities) == ["Adelie", "Chinstrap", "Gentoo"]
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_a_refusal_in_the_outputs_of_a_request_is_answered_422_naming_the_reason():
    outputs = TypeAdapter(list[served(label_type({"task": "classification", "classes": ["a"]}))])
    with pytest.raises(RefusedRequest, match="why not") as refused:
        outputs.validate_python(["a", Refusal("why not")])
    assert refused.value.error_code == 422
    assert outputs.validate_python(["a", "b"]) == ["a", "b"]


def test_a_torch_regressor_answering_nan_for_a_missing_value_refuses_only_that_request(
    tmp_path,
):
    torch = pytest.importorskip("torch")
    from prodml_workshop.models import PenguinNet

    torch.manual_seed(0)
    net = PenguinNet(n_features=3, n_outputs=1)
    package = save_model(
        net, tmp_path / "net", format="safetensors", sample_input=torch.randn(5, 3),
        init_kwargs={"n_features": 3, "n_outputs": 1},
    )  # fmt: skip
    model = load_model(package)
    good = _request(model, "good", {"x0": 0.5, "x1": -1.0, "x2": 2.0})
    bad = _request(model, "bad", {"x0": None, "x1": -1.0, "x2": 2.0})
    predictor = BatchPredictor(model, PredictionLog(tmp_path / "log.sqlite"))
    outputs = predictor.run("predict", [good[0], bad[0]])
    expected = net(torch.tensor([[0.5, -1.0, 2.0]])).item()
    assert outputs[0] == pytest.approx(expected, rel=1e-6)
    assert isinstance(outputs[1], Refusal) and "NaN or infinity" in outputs[1].message
    assert read_log(tmp_path / "log.sqlite")["request_id"].tolist() == ["good"]
