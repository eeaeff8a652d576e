"""A package the service cannot serve stops the server at once, with the package's reason.

Before this check, a model that failed to load made BentoML restart its worker forever
("Application startup failed") and serve() wait for its whole timeout.
"""

import operator

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from prodml_workshop.packaging import save_model
from prodml_workshop.serving import ServerStartError, serve
from prodml_workshop.serving.service_startup import NotServableError, check_servable


def _data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["wind speed", "rain mm"])
    return X, (X["wind speed"] > 0).astype(int)


def _skops(folder):
    X, y = _data()
    return save_model(LogisticRegression().fit(X, y), folder, format="skops", sample_input=X)


def _tampered(folder):
    package = _skops(folder)
    artifact = package / "model.skops"
    artifact.write_bytes(artifact.read_bytes() + b"\0")
    return package


def _missing_artifact(folder):
    package = _skops(folder)
    (package / "model.skops").unlink()
    return package


def _untrusted_pickle(folder):
    X, y = _data()
    return save_model(LogisticRegression().fit(X, y), folder, format="pickle", sample_input=X)


def _unvetted_skops_type(folder):
    # operator.neg is a function skops would have to look up and call: off the allow-list,
    # so the package only loads for whoever trusts it by name, as its author did.
    X, y = _data()
    model = make_pipeline(FunctionTransformer(operator.neg), LogisticRegression()).fit(X, y)
    return save_model(model, folder, format="skops", sample_input=X, trusted=["_operator.neg"])


_BROKEN = {
    "tampered artifact": (_tampered, "ChecksumMismatchError"),
    "missing artifact": (_missing_artifact, "MissingArtifactError"),
    "untrusted pickle": (_untrusted_pickle, "UntrustedFormatError"),
    "skops type off the allow-list": (_unvetted_skops_type, "UnsafeContentError"),
}


@pytest.mark.server
@pytest.mark.parametrize("case", list(_BROKEN))
def test_serve_fails_at_once_with_the_package_reason_in_one_line(case, tmp_path):
    make, reason = _BROKEN[case]
    package = make(tmp_path / "package")
    with pytest.raises(ServerStartError) as error:
        serve(package, log_db=tmp_path / "log.sqlite", timeout=120)
    message = str(error.value)
    # The server ended by itself, once: serve() did not wait out its timeout.
    assert "exited with code 1 before it was ready" in message
    assert "not ready after" not in message
    [line] = [line for line in message.splitlines() if line.startswith("prodml-workshop:")]
    assert line.startswith(f"prodml-workshop: cannot serve {package}: {reason}: ")
    assert "Application startup failed" not in message  # no worker was started


def test_check_servable_passes_a_package_that_loads(tmp_path):
    check_servable(_skops(tmp_path / "package"))


def test_check_servable_names_the_reason_in_one_line(tmp_path):
    package = _tampered(tmp_path / "package")
    with pytest.raises(NotServableError, match=r"ChecksumMismatchError: The artifact") as error:
        check_servable(package)
    assert "\n" not in str(error.value)
    assert isinstance(error.value, ValueError)  # a bad package is a bad argument
