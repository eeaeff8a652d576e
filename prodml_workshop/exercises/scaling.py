"""Questions of ``03_scaling.ipynb``: choose a batch size, batch a service, score a partition.

* q1 runs the student's ``smallest_batch_within(curve, factor)`` on batch-size curves made up
  at every check (shuffled rows, curves that get worse again at large batches, one whose best
  cost is at its largest batch only);
* q2 serves the student's BentoML service file with ``bentoml serve`` for the time of the check
  (:func:`~prodml_workshop.exercises.student_service.serve_service_file`, which the notebook
  also uses to try the file by hand; the server stops with the check), sends concurrent
  one-number requests and checks each answer and the batch sizes the endpoint recorded; whether
  the endpoint batches is read from the service's configuration (``/schema.json``), not from
  how many requests happened to be merged, which depends on the machine's load;
* q3 runs the student's ``score_partition(path, model_dir)`` on Parquet files and a model
  package written for the check (a model whose labels differ from the course's, so only a
  function that loads ``model_dir`` passes), as a Dask task would call it;
* q4 reads a replica's capacity from load-test stages made up at every check (the median, the
  top throughput of an overloaded stage that answered with errors, a strict bound: each gives
  another answer);
* q5 is a written answer on replicas.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from prodml_workshop.exercises.answers import files_digest
from prodml_workshop.exercises.core import (
    FunctionQuestion,
    Incorrect,
    NotAttempted,
    Question,
    QuestionSet,
    ThoughtQuestion,
    assert_close,
    assert_type,
)
from prodml_workshop.exercises.scaling_capacity import Capacity, made_up_load_test
from prodml_workshop.exercises.student_service import (
    check_square,
    serve_service_file,
    serve_student_service,
)

__all__ = ["bind", "made_up_curve", "made_up_load_test", "serve_service_file"]

_CONCURRENT = 32  # requests in flight when checking that the endpoint batches
_ROUNDS = 3


def made_up_curve(
    rng: np.random.Generator | None = None, *, worse_at_end: bool | None = None
) -> pd.DataFrame:
    """Return a batch-size curve as ``props.scaling.latency_by_batch_size`` measures one.

    A fixed cost per call plus a cost per row, with noise; sometimes the cost per row climbs
    again at the largest batches (caches overflow), and the rows come in a random order.

    Parameters
    ----------
    rng : numpy.random.Generator, default=None
        Source of randomness; a new unseeded one by default.
    worse_at_end : bool, default=None
        Whether the two largest batches cost more per row than smaller ones; at random (one
        time in two) when ``None``.

    Returns
    -------
    pandas.DataFrame
        Columns ``batch_size`` and ``us_per_row``.

    Examples
    --------
    >>> list(made_up_curve(np.random.default_rng(0)).columns)
    ['batch_size', 'us_per_row']
    """
    rng = np.random.default_rng() if rng is None else rng
    sizes = np.unique(np.round(np.geomspace(1, 10 ** rng.integers(3, 6), rng.integers(6, 12))))
    fixed_us, row_us = rng.uniform(200, 5000), rng.uniform(0.2, 3)
    us_per_row = (fixed_us / sizes + row_us) * rng.uniform(0.99, 1.01, len(sizes))
    if worse_at_end is None:
        worse_at_end = bool(rng.random() < 0.5)
    if worse_at_end:  # the two largest cost more per row than the fourth largest
        us_per_row[-2:] = us_per_row[-4] * rng.uniform(1.2, 2, 2)
    curve = pd.DataFrame({"batch_size": sizes.astype(int), "us_per_row": us_per_row})
    return curve.sample(frac=1, random_state=int(rng.integers(2**31))).reset_index(drop=True)


# --- q1: choose a batch size from a measured curve ------------------------------------------


class SmallestBatchWithin(FunctionQuestion):
    """The smallest batch size whose cost per row is within ``factor`` of the best one."""

    variables = ("smallest_batch_within",)
    hints = (
        "First find the best (lowest) `us_per_row` of the whole curve, wherever it is: it is "
        "not always at the largest batch.",
        "Keep the rows with `us_per_row <= factor * best`, then take the smallest `batch_size` "
        "among them. The rows are not sorted.",
        "A cost of exactly `factor` times the best is within; several batch sizes may share the "
        "best cost. Return an `int`.",
    )

    def cases(self) -> Iterable[tuple]:
        rng = np.random.default_rng()  # new curves at every check
        tied = _tied_curve(rng)
        yield tied, 1.5  # a cost of exactly 1.5 x best counts; adding 1.5 would take more
        yield tied, 1.0  # two batch sizes share the best cost: the smaller one
        yield _best_at_largest_curve(rng), 1.5  # without the largest batch, another answer
        yield made_up_curve(rng, worse_at_end=True), 1.0
        yield made_up_curve(rng, worse_at_end=True), float(rng.uniform(1.05, 1.5))
        yield made_up_curve(rng, worse_at_end=False), 2.0
        yield made_up_curve(rng), float(rng.uniform(2, 20))

    def reference(self, curve: pd.DataFrame, factor: float) -> int:
        self._case = (curve, factor)  # for the message
        best = curve["us_per_row"].min()
        return int(curve.loc[curve["us_per_row"] <= factor * best, "batch_size"].min())

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if isinstance(actual, float) and actual.is_integer():
            actual = int(actual)
        assert_type(actual, "integer", what=what)
        if actual == expected:
            return
        curve, factor = self._case
        costs = curve.set_index("batch_size")["us_per_row"]
        best = costs.min()
        if actual not in costs.index:
            raise Incorrect(f"{what} returned {actual}, which is not a batch size of the curve.")
        largest = costs.index.max()
        without = costs.drop(largest)
        if actual == without[without <= factor * without.min()].index.min():
            raise Incorrect(
                f"{what} returned {actual}, the answer for the curve without its largest batch "
                f"size, {largest}: here the best cost is at that largest batch. Keep every row."
            )
        if costs[actual] > factor * best:
            mistake = (
                "`factor` multiplies the best cost; it is not added to it"
                if costs[actual] <= best + factor
                else "its cost per row is more than `factor` times the best"
            )
            raise Incorrect(f"{what} returned {actual}: {mistake}.")
        if costs[expected] == factor * best:
            raise Incorrect(
                f"{what} returned {actual}, but a smaller batch costs exactly `factor` times "
                "the best, which is within."
            )
        raise Incorrect(
            f"{what} returned {actual}, but a smaller batch size is within `factor` of the best "
            "cost (the rows are not sorted; ties go to the smaller batch)."
        )


def _best_at_largest_curve(rng: np.random.Generator) -> pd.DataFrame:
    """Costs falling to the end, in a random order: the best at the largest batch only.

    Unscaled, with factor 1.5, the answer is 256 (1.4 <= 1.5 x 1.0); without the largest batch
    the best would be 1.2 and the answer 128 (1.7 <= 1.8).
    """
    scale = float(2 ** int(rng.integers(-2, 3)))  # exact in binary, as are the products
    rows = [(1, 30.0), (8, 5.0), (16, 3.0), (64, 2.2), (128, 1.7), (256, 1.4), (512, 1.2),
            (1024, 1.0)]  # fmt: skip
    curve = pd.DataFrame(rows, columns=["batch_size", "us_per_row"])
    curve["us_per_row"] *= scale
    return curve.sample(frac=1, random_state=int(rng.integers(2**31))).reset_index(drop=True)


def _tied_curve(rng: np.random.Generator) -> pd.DataFrame:
    """Round costs: the best (2.0) at two sizes, the larger listed first; 3.0 = 1.5 x best."""
    scale = float(2 ** int(rng.integers(-2, 3)))  # exact in binary, as are the products
    rows = [(512, 2.5), (256, 2.0), (64, 2.0), (16, 3.0), (8, 3.25), (1, 40.0), (1024, 2.25)]
    curve = pd.DataFrame(rows, columns=["batch_size", "us_per_row"])
    curve["us_per_row"] *= scale
    order = [1, *rng.permutation([0, 2, 3, 4, 5, 6]).tolist()]  # 256 before 64
    return curve.iloc[order].reset_index(drop=True)


# --- q2: batch a service --------------------------------------------------------------------


class BatchingService(Question):
    """Make a BentoML endpoint batchable, and see concurrent requests merged into one call."""

    time_limit = 180.0  # a server start alone can take 20-40 s on a loaded machine
    variables = ("service_file",)
    hints = (
        "Adaptive batching is an option of the endpoint's decorator: "
        "`@bentoml.api(batchable=True, max_batch_size=..., max_latency_ms=...)`.",
        "A batchable endpoint receives the items of many requests concatenated in one list: "
        "record `len(numbers)` in `self.batch_sizes`, then return one output per item, in order.",
        "Return one output per number, in order: BentoML splits the list of outputs back into "
        "one answer per request.",
    )

    def _check(self, service_file: Any) -> None:
        import requests

        rng = np.random.default_rng()
        with serve_student_service(service_file) as url:

            def square(numbers: list[float]) -> requests.Response:
                return requests.post(f"{url}/square", json={"numbers": numbers}, timeout=30)

            numbers = rng.normal(0, 10, int(rng.integers(3, 8))).round(3).tolist()
            check_square(url, numbers, "keep `square` decorated with `@bentoml.api(...)`.")
            sent = rng.normal(0, 10, _CONCURRENT * _ROUNDS).round(3).tolist()
            with ThreadPoolExecutor(_CONCURRENT) as pool:
                answers = list(pool.map(square, [[x] for x in sent]))
            for x, answer in zip(sent, answers, strict=True):
                if answer.status_code != 200:
                    raise Incorrect(
                        f"under {_CONCURRENT} concurrent requests, POST /square answered "
                        f"{answer.status_code}: {answer.text[:300]}"
                    )
                assert_close(answer.json(), [x * x for x in [x]], what=f"POST /square [{x}]")
            seen = requests.post(f"{url}/batch_sizes_seen", json={}, timeout=30).json()
            batchable = _batchable(url, "/square")
        if not isinstance(seen, list) or not all(isinstance(n, int) for n in seen):
            raise Incorrect(
                f"POST /batch_sizes_seen answered {str(seen)[:200]}: append `len(numbers)` to "
                "`self.batch_sizes` at every call of `square`."
            )
        if sum(seen) != len(numbers) + len(sent):
            raise Incorrect(
                f"`self.batch_sizes` adds up to {sum(seen)} numbers, but the check sent "
                f"{len(numbers) + len(sent)}: append `len(numbers)` once per call of `square`."
            )
        if not batchable:
            raise Incorrect(
                "the service answers, but BentoML does not batch `square`: its /schema.json "
                "says batchable is false. Turn on adaptive batching in the decorator."
            )


def _batchable(url: str, route: str) -> bool | None:
    """What the served service's ``/schema.json`` says of the endpoint, None if not listed."""
    import requests

    schema = requests.get(f"{url}/schema.json", timeout=30).json()
    for api in schema.get("routes", []):
        if api.get("route") == route:
            return bool(api.get("batchable", False))
    return None


# --- q3: a function to map over partitions --------------------------------------------------


@functools.lru_cache(maxsize=1)
def _renamed_model() -> Any:
    """A penguin pipeline that calls every species by another name: unlike any course model."""
    from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
    from prodml_workshop.penguin_model import penguin_pipeline

    penguins = load_penguins()
    names = {"Adelie": "Pygoscelis adeliae", "Chinstrap": "P. antarcticus", "Gentoo": "P. papua"}
    return penguin_pipeline().fit(penguins[PENGUIN_FEATURES], penguins["species"].map(names))


class ScorePartition(Question):
    """Score one Parquet partition with a model package: the task a Dask worker runs."""

    variables = ("score_partition",)
    hints = (
        "The function receives a path and a model folder, nothing else: read the file with "
        "`pd.read_parquet(path)` and load the model with `load_model(model_dir)`.",
        "Return one prediction per row, in the file's order (a list or an array), not the "
        "DataFrame.",
        "A worker runs many partitions: keep the loaded model in a dict keyed by `model_dir`, "
        "so that it is loaded once per process, not once per file.",
    )

    def _check(self, score_partition: Any) -> None:
        from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
        from prodml_workshop.packaging import load_model, save_model
        from prodml_workshop.props.scaling import make_scoring_dataset

        name = "score_partition"
        if not callable(score_partition):
            raise Incorrect(f"`{name}` should be a function, got {type(score_partition).__name__}.")
        # A blank fails at once, before a model is fitted and saved: these paths do not exist.
        try:
            score_partition(str(Path(tempfile.gettempdir(), "no-such-partition.parquet")), "")
        except NotImplementedError:
            raise NotAttempted(f"`{name}` still raises NotImplementedError.") from None
        except Exception:
            pass
        rng = np.random.default_rng()
        model = _renamed_model()
        with tempfile.TemporaryDirectory(prefix="prodml-03-q3-") as tmp:
            n_rows = int(rng.integers(500, 3000))
            folder = make_scoring_dataset(
                Path(tmp) / "parts", n_rows, n_partitions=3, seed=int(rng.integers(2**31))
            )
            # ONNX: saved and loaded without importing skops (it walks all of scikit-learn); the
            # reference is the package itself, so it predicts what the student's function does.
            # A fixed sample for the save's round-trip test: on random rows, ONNX's float32
            # probabilities sometimes differ from the model's past the save's tolerance.
            sample = load_penguins()[PENGUIN_FEATURES].head()
            model_dir = save_model(model, Path(tmp) / "model", format="onnx",
                                   sample_input=sample)  # fmt: skip
            served = load_model(model_dir)
            for path in sorted(folder.glob("*.parquet")):
                what = f"`{name}({path.name!r}, model_dir)`"
                files = files_digest(path) | files_digest(model_dir)
                try:
                    actual = score_partition(str(path), str(model_dir))
                except NotImplementedError:
                    raise NotAttempted(f"`{name}` still raises NotImplementedError.") from None
                except Exception as err:
                    raise Incorrect(f"{what} raised {type(err).__name__}: {err}") from None
                if files_digest(path) | files_digest(model_dir) != files:
                    raise Incorrect(
                        f"{what} changed the partition or the model package: a task only "
                        "reads them (another task, or a retry, reads them again)."
                    )
                if isinstance(actual, pd.DataFrame):
                    raise Incorrect(f"{what} returned a DataFrame: return the predictions only.")
                if isinstance(actual, np.ndarray | pd.Series):
                    actual = list(actual)
                expected = served.predict(pd.read_parquet(path)).tolist()
                if isinstance(actual, list) and len(actual) == len(expected):
                    if {str(a) for a in actual} <= {"Adelie", "Chinstrap", "Gentoo"}:
                        raise Incorrect(
                            f"{what} predicted the course's species names, not what the model "
                            "in `model_dir` answers: load the model from `model_dir` (the check "
                            "gives a model you have not seen)."
                        )
                assert_close(actual, expected, what=what)


# --- q5: think about it ---------------------------------------------------------------------


class ReplicasAndBatching(ThoughtQuestion):
    """Ten replicas instead of one, the same traffic: what happens to batching?"""

    variables: ClassVar[tuple[str, ...]] = ("replicas_and_batching",)


_QUESTIONS = QuestionSet(
    "03_scaling",
    [SmallestBatchWithin, BatchingService, ScorePartition, Capacity, ReplicasAndBatching],
)
bind = _QUESTIONS.bind
