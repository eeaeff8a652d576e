"""Heavy runtimes stay out of a process that does not use them (each kernel of a day counts).

Every notebook kernel of a student's day stays open, in Binder's 2 GiB. Importing the course's
packages must not import PyTorch (~125 MB of private memory), start a JVM, or import Evidently,
Dask's distributed, the converters or the load generator: each is imported inside the function
that needs it. Each test runs in a fresh interpreter, where ``sys.modules`` shows exactly what
the code imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

#: Heavy modules that no import of the course's packages may bring in.
HEAVY = [
    "torch",
    "jpype",
    "jpmml_evaluator",
    "sklearn2pmml",
    "evidently",
    "skops",
    "distributed",
    "dask",
    "onnxruntime",
    "skl2onnx",
    "locust",
    "playwright",
    "safetensors",
    "sqlalchemy",  # the prediction log's engine: imported when a log is opened or read
    "psycopg",  # and its PostgreSQL driver, only for a postgresql:// log
]


def _imported_after(code: str, tmp_path=None, heavy: list[str] = HEAVY) -> dict:
    """Run ``code`` in a fresh interpreter; return which ``heavy`` modules it left imported."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps({{"heavy": [m for m in {heavy!r} if m in sys.modules]}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_packages_imports_no_heavy_runtime():
    found = _imported_after(
        """
        import prodml_workshop.course, prodml_workshop.data, prodml_workshop.penguin_model
        import prodml_workshop.packaging, prodml_workshop.serving, prodml_workshop.scaling
        import prodml_workshop.monitoring, prodml_workshop.production, prodml_workshop.exercises
        import prodml_workshop.exercises.packaging, prodml_workshop.exercises.serving
        import prodml_workshop.exercises.scaling, prodml_workshop.exercises.monitoring
        import prodml_workshop.exercises.production, prodml_workshop.exercises.warmup
        import prodml_workshop.props, prodml_workshop.props.packaging, prodml_workshop.props.serving
        import prodml_workshop.props.monitoring, prodml_workshop.props.production
        import prodml_workshop.props.scaling
        """
    )
    assert found["heavy"] == []


def test_the_set_up_check_imports_no_scikit_learn():
    # notebook 00's kernel stays open all day: scikit-learn and SciPy would add ~50 MB to it
    found = _imported_after(
        """
        import prodml_workshop.course, prodml_workshop.kernels, prodml_workshop.packaging
        from prodml_workshop.setup_check import check_environment
        """,
        heavy=["sklearn", "scipy", *HEAVY],
    )
    assert found["heavy"] == []


def test_a_probe_sees_an_eager_import():
    # the probe itself must be able to fail: an import it should see, it sees
    found = _imported_after("import prodml_workshop.models  # the PyTorch architectures")
    assert found["heavy"] == ["torch"]


@pytest.mark.slow
def test_skops_save_and_load_import_neither_torch_nor_dask(tmp_path):
    # skops lists scikit-learn's estimators by walking every sklearn subpackage, which imports
    # the PyTorch and Dask array API wrappers of sklearn.externals when they are installed
    found = _imported_after(
        """
        from sklearn.linear_model import LogisticRegression
        from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
        from prodml_workshop.packaging import load_model, save_model
        from prodml_workshop.penguin_model import penguin_pipeline

        penguins = load_penguins()
        X, y = penguins[PENGUIN_FEATURES], penguins["species"]
        model = penguin_pipeline().fit(X, y)
        package = save_model(model, "penguins", format="skops", sample_input=X.head())
        assert (load_model(package).predict(X) == model.predict(X)).all()
        """,
        tmp_path,
    )
    assert found["heavy"] == ["skops"]


@pytest.mark.slow
def test_skops_trusts_the_same_types_without_the_array_api_wrappers():
    lists = """
        import json, sys
        t = sys.modules["skops.io._trusted_types"]
        names = {k: sorted(map(str, v)) for k, v in vars(t).items()
                 if k.isupper() and isinstance(v, list)}
        print(json.dumps(names))
    """
    plain = subprocess.run(
        [sys.executable, "-c", "import skops.io\n" + textwrap.dedent(lists)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    ours = subprocess.run(
        [
            sys.executable,
            "-c",
            "from prodml_workshop.packaging.formats.skops_io import _skops_io\n_skops_io()\n"
            + textwrap.dedent(lists)
            # once skops.io is imported, the wrappers import as usual
            + "import sklearn.externals.array_api_compat.torch\nassert 'torch' in sys.modules\n",
        ],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    ours_lists = json.loads(ours.stdout.strip().splitlines()[0])
    assert len(ours_lists["SKLEARN_ESTIMATOR_TYPE_NAMES"]) > 100
    assert ours_lists == json.loads(plain.stdout.strip().splitlines()[0])
