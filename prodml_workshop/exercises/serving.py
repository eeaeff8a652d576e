"""Questions of ``02_serving.ipynb``: call a service, write a request, add an endpoint, read a log.

No check depends on a server the notebook started: the grader evaluates every question after the
whole notebook has run, when the notebook's own servers are stopped. A check that needs a live
server starts one itself, for the time of that check only, and always stops it:

* q1 serves a model the student has never seen (with :func:`~prodml_workshop.serving.serve`)
  and calls the student's client function with its URL (inside a ``with q1_server():``
  block, every check shares that block's server: for a test or a script checking many
  answers in one process);
* q3 serves the student's service file with ``bentoml serve``
  (:func:`~prodml_workshop.exercises.student_service.serve_service_file`, which the notebook
  also uses to try a service file by hand).

Before starting anything, both try the answer cheaply, so a blank costs no server start. The
other checks need no server: q2 validates the request body with the service's own validation
types, q4 (:mod:`.serving_log`) runs the student's function on prediction logs written for the
check.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
from prodml_workshop.exercises.answers import call_answer, short_repr
from prodml_workshop.exercises.core import (
    Incorrect,
    NotAttempted,
    Question,
    QuestionSet,
    ThoughtQuestion,
    assert_close,
)
from prodml_workshop.exercises.packaging import fresh_penguins
from prodml_workshop.exercises.serving_log import SloQuestion, write_slo_log
from prodml_workshop.exercises.student_service import (
    check_square,
    serve_service_file,
    serve_student_service,
)
from prodml_workshop.packaging import load_model, save_model
from prodml_workshop.penguin_model import penguin_pipeline
from prodml_workshop.serving import ServerStartError, serve, to_records

__all__ = [
    "bind",
    "field_notes",
    "q1_server",
    "serve_service_file",
    "served_penguin_schema",
    "write_slo_log",
]

_SPECIES = ("Adelie", "Chinstrap", "Gentoo")
# The model q1 serves calls every species by the next one's name, so that its answers differ
# from any penguin model the student could run in-process: only a real HTTP call passes.
_SHIFTED = dict(zip(_SPECIES, _SPECIES[1:] + _SPECIES[:1], strict=True))
# A URL that no HTTP client can open (its port is not a number): a call fails at once, where
# bentoml's client would retry an unreachable server for 30 s before it gave up.
_UNREACHABLE = "http://127.0.0.1:no-server"


# --- Helpers the notebook uses --------------------------------------------------------------


def field_notes() -> pd.DataFrame:
    """Return q2's field notes: four real penguins, as a field team wrote them down.

    Their sheet is not the model's input: body mass is in kilograms (``body_mass_kg``), there is
    an ``observer`` column, and some measurements are missing.

    Returns
    -------
    pandas.DataFrame
        Four rows; columns ``island``, ``bill_length_mm``, ``bill_depth_mm``,
        ``flipper_length_mm``, ``body_mass_kg``, ``sex``, ``observer``.

    Examples
    --------
    >>> field_notes().shape
    (4, 7)
    """
    rows = _field_rows().copy()
    notes = rows.drop(columns="body_mass_g")
    notes.insert(4, "body_mass_kg", rows["body_mass_g"] / 1000)
    notes["observer"] = ["KG", "KG", "AL", "AL"]
    return notes.reset_index(drop=True)


def _field_rows() -> pd.DataFrame:
    penguins = load_penguins()[PENGUIN_FEATURES]
    # Two complete penguins, one without sex, one without any measurement or sex.
    complete = penguins.dropna().index
    no_sex = penguins.index[penguins["sex"].isna() & penguins["body_mass_g"].notna()]
    nothing = penguins.index[penguins["body_mass_g"].isna()]
    return penguins.loc[[complete[0], complete[200], no_sex[0], nothing[0]]]


@functools.lru_cache(maxsize=1)
def served_penguin_schema() -> dict[str, Any]:
    """Return the input schema of the penguin model the service serves, as in its manifest.

    Returns
    -------
    dict
        A manifest holding only ``input_schema``: the columns and types of ``PENGUIN_FEATURES``.
    """
    from prodml_workshop.packaging.schema import input_schema

    return {"input_schema": input_schema(load_penguins()[PENGUIN_FEATURES].head())}


# --- q1: call the service over HTTP --------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _shifted_model() -> Any:
    penguins = load_penguins()
    return penguin_pipeline().fit(penguins[PENGUIN_FEATURES], penguins["species"].map(_SHIFTED))


# The q1 server that q1_server() shares with the checks inside its block: (URL, package loaded).
_SHARED_Q1: list[tuple[str, Any]] = []


@contextlib.contextmanager
def _serve_q1_model() -> Iterator[tuple[str, Any]]:
    """Serve q1's model for the time of a ``with`` block: yield its URL and the package loaded."""
    with tempfile.TemporaryDirectory(prefix="prodml-q1-") as tmp:
        # ONNX: the format is not what q1 is about, and its server starts twice as fast as a
        # skops one (no scikit-learn to import). The reference is the package
        # itself, so it answers exactly what the server does.
        sample = load_penguins()[PENGUIN_FEATURES].head()
        package = save_model(
            _shifted_model(), Path(tmp) / "model", format="onnx", sample_input=sample
        )
        served = load_model(package)
        with serve(package, log_db=Path(tmp) / "log.sqlite") as server:
            yield server.url, served


@contextlib.contextmanager
def q1_server() -> Iterator[str]:
    """Serve q1's model once for every q1 check made inside the ``with`` block.

    Each q1 check otherwise starts a server of its own (4 to 10 s) and stops it at its end; a
    script or a test that checks many answers in one process shares this one instead. The
    checks stay the same: the same model, the same fresh records at every check.

    Yields
    ------
    str
        The server's URL.

    Raises
    ------
    ServerStartError
        If the server does not start.

    Examples
    --------
    >>> with q1_server():  # doctest: +SKIP
    ...     results = [bind({"predict_over_http": f})[0].evaluate() for f in answers]
    """
    with _serve_q1_model() as shared:
        _SHARED_Q1.append(shared)
        try:
            yield shared[0]
        finally:
            _SHARED_Q1.remove(shared)


def _call(func: Any, name: str, url: str, records: list[dict[str, Any]]) -> Any:
    try:
        return func(url, records)
    except NotImplementedError:
        raise NotAttempted(f"`{name}` still raises NotImplementedError.") from None


class PredictOverHttp(Question):
    """Write a client function: POST records to a running service's ``/predict``."""

    time_limit = 180.0  # a server start alone can take 20-40 s on a loaded machine
    variables = ("predict_over_http",)
    hints = (
        "The endpoint is `url + '/predict'`; the body is `{'records': records}`, sent as JSON: "
        "`requests.post(..., json=..., timeout=...)`.",
        "The response body is the JSON list of predictions: `response.json()`.",
        "When the server refuses a request (4xx), do not return its error message as if it "
        "were predictions: `response.raise_for_status()` raises an error instead.",
    )

    def _check(self, predict_over_http: Any) -> None:
        name = "predict_over_http"
        if not callable(predict_over_http):
            raise Incorrect(
                f"`{name}` should be a function, got {type(predict_over_http).__name__}."
            )
        # A blank fails at once, without a server; a real client cannot reach this URL.
        try:
            _call(predict_over_http, name, _UNREACHABLE, to_records(fresh_penguins(1)))
        except NotAttempted:
            raise
        except Exception:
            pass
        rng = np.random.default_rng()
        batches = [fresh_penguins(1, rng), fresh_penguins(int(rng.integers(8, 30)), rng)]
        with contextlib.ExitStack() as stack:
            if _SHARED_Q1:
                url, served = _SHARED_Q1[-1]
            else:
                try:
                    url, served = stack.enter_context(_serve_q1_model())
                except ServerStartError as err:  # not the student's fault: say so
                    raise Incorrect(f"the check could not start its server: {err}") from None
            for rows in batches:
                records = to_records(rows)
                shown = f"url, <{len(records)} records>"
                what = f"`{name}({shown})`"
                # Raises Incorrect if it raises, or changes `records` in place.
                actual = call_answer(predict_over_http, (url, records), name=name, shown=shown)
                expected = served.predict(rows).tolist()
                if isinstance(actual, np.ndarray):
                    actual = actual.tolist()
                if actual != expected and isinstance(actual, list):
                    if len(actual) == len(expected) and set(map(str, actual)) <= set(_SPECIES):
                        raise Incorrect(
                            f"{what} returned {actual[:3]}..., not what the server at `url` "
                            f"answers ({expected[:3]}...). The check serves a model you "
                            "have not seen: send the records to `url` and return its answer."
                        )
                assert_close(actual, expected, what=what)
            self._check_refusal(predict_over_http, name, url)

    @staticmethod
    def _check_refusal(func: Any, name: str, url: str) -> None:
        record = to_records(load_penguins()[PENGUIN_FEATURES].head(1))[0]
        del record["sex"]  # the server answers 400: a feature is missing
        try:
            returned = func(url, [record])
        except Exception:
            return  # any error will do: the caller learns that the request failed
        raise Incorrect(
            f"for a record without `sex`, which the server refuses with 400, `{name}` returned "
            f"{short_repr(returned, 60)} as if it were predictions. Raise an error instead "
            "(`response.raise_for_status()`)."
        )


# --- q2: a request body from the field notes -----------------------------------------------


def _refuse_constant(constant: str) -> None:
    raise Incorrect(
        f"`payload` holds {constant}, which is not JSON (the server refuses it): write missing "
        "values as null (None in Python)."
    )


class FieldNotesPayload(Question):
    """Turn the field notes into a ``/predict`` request body the service accepts."""

    variables = ("payload",)
    hints = (
        "The body is `{'records': [...]}`, one dict per penguin with exactly the model's "
        "features (`PENGUIN_FEATURES`): no more, no fewer, with the model's names and units.",
        "The model wants `body_mass_g` in grams; the notes have `body_mass_kg`. The `observer` "
        "column is not a feature.",
        "Missing values must be `null` in JSON: `to_records(df)` turns NaN into None. "
        "`json.dumps(body)` gives the text.",
    )

    def _check(self, payload: Any) -> None:
        if isinstance(payload, bytes):
            payload = payload.decode()
        if isinstance(payload, Path) or (
            isinstance(payload, str) and payload.strip().endswith(".json") and "{" not in payload
        ):
            raise Incorrect(
                "`payload` looks like a file name: put the JSON text itself in it "
                "(`json.dumps(body)`), not the path of a file."
            )
        if isinstance(payload, Mapping):
            try:
                payload = json.dumps(payload, allow_nan=False)
            except ValueError:
                _refuse_constant("NaN")
            except TypeError as err:
                raise Incorrect(f"`payload` cannot be written as JSON: {err}") from None
        if not isinstance(payload, str):
            raise Incorrect(
                f"`payload` should be the JSON text of the body (a str) or a dict, "
                f"got {type(payload).__name__}."
            )
        try:
            body = json.loads(payload, parse_constant=_refuse_constant)
        except json.JSONDecodeError as err:
            raise Incorrect(f"`payload` is not valid JSON: {err}") from None
        if not isinstance(body, dict) or "records" not in body:
            raise Incorrect('the body should be a JSON object with a "records" key.')
        self._validate(body["records"])
        expected = to_records(_field_rows())
        records = body["records"] if isinstance(body["records"], list) else [body["records"]]
        if len(records) == len(expected):
            for got, want in zip(records, expected, strict=True):
                mass, true_mass = got.get("body_mass_g"), want["body_mass_g"]
                if mass and true_mass and math.isclose(mass * 1000, true_mass, rel_tol=1e-6):
                    raise Incorrect("`body_mass_g` is in kilograms: the model wants grams.")

        def key(record: dict[str, Any]) -> str:
            return json.dumps(record, sort_keys=True)

        if records != expected and sorted(map(key, records)) == sorted(map(key, expected)):
            raise Incorrect(
                "these are the right penguins in another order: keep the order of the notes, "
                "since the predictions come back in the order of the records."
            )
        assert_close(records, expected, what='body["records"]')

    @staticmethod
    def _validate(records: Any) -> None:
        from pydantic import TypeAdapter, ValidationError

        from prodml_workshop.serving.validation import record_model, records_type

        adapter = TypeAdapter(records_type(record_model(served_penguin_schema())))
        try:
            adapter.validate_json(json.dumps(records))
        except ValidationError as err:
            problems = "; ".join(
                f"records.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()[:4]
            )
            raise Incorrect(f"the service would refuse it with 400: {problems}.") from None


# --- q3: an endpoint of your own ------------------------------------------------------------


class SquareEndpoint(Question):
    """Add a ``/square`` endpoint to a BentoML service and serve it."""

    time_limit = 180.0  # a server start alone can take 20-40 s on a loaded machine
    variables = ("service_file",)
    hints = (
        "An endpoint is a method of the service class decorated with `@bentoml.api`; its name "
        "is the route (`def square` answers `POST /square`).",
        "Its parameters are the JSON fields of the request: `def square(self, numbers: ...)` "
        "reads `{'numbers': [...]}`. Its return value is the response.",
        "Type the parameter (a list of what?) and BentoML refuses `['three']` with 400, a client "
        "error, before your code runs, instead of crashing on it with 500.",
    )

    def _check(self, service_file: Any) -> None:
        import requests

        rng = np.random.default_rng()
        with serve_student_service(service_file) as url:
            numbers = rng.normal(0, 10, int(rng.integers(3, 9))).round(3).tolist()
            for case in (numbers, [float(rng.integers(-20, 20))], []):
                check_square(url, case, "add a method `square` decorated with `@bentoml.api`.")
            refused = requests.post(f"{url}/square", json={"numbers": ["three"]}, timeout=30)
            if not 400 <= refused.status_code < 500:
                raise Incorrect(
                    f'POST /square {{"numbers": ["three"]}} answered {refused.status_code}, '
                    "not a 4xx: type the parameter (`numbers: list[float]`) so that "
                    "BentoML validates the request before your code runs."
                )


class WhatTheLogIsFor(ThoughtQuestion):
    """What do the request id and the model version in each log row let you do?"""

    variables: ClassVar[tuple[str, ...]] = ("log_columns_for",)


_QUESTIONS = QuestionSet(
    "02_serving",
    [PredictOverHttp, FieldNotesPayload, SquareEndpoint, SloQuestion, WhatTheLogIsFor],
)
bind = _QUESTIONS.bind
