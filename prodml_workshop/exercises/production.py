"""Questions of ``05_production.ipynb``: the practices that make a redeploy safe.

* q1 writes the data-quality rule of the service (the package's
  :func:`~prodml_workshop.packaging.quality_issues` is the reference), run on
  records and profiles made up at every check, boundaries and missing values included;
* q2 writes the canary's router: the same request id always to the same version, in every
  process, and raising the share keeps the ids already on the canary there;
* q3 chooses a canary share from traffic, the evidence needed and an error budget;
* q4 writes the promotion gate, on feedback windows where a careless comparison flips the verdict;
* q5 diagnoses an incident from a prediction log (:mod:`.incident_log`);
* q6 is a written answer: why both a quality check and a drift check.

The notebook's example inputs, :func:`penguin_profile` (q1) and :func:`promotion_example` (q4),
are made in :mod:`.production_cases` with the checks' own inputs, and exported from here.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from prodml_workshop.exercises.answers import short_repr
from prodml_workshop.exercises.core import (
    FunctionQuestion,
    Incorrect,
    NotAttempted,
    Question,
    QuestionSet,
    ThoughtQuestion,
)
from prodml_workshop.exercises.incident_log import describe_cause, incident_log
from prodml_workshop.exercises.production_cases import (
    canary_share_cases,
    canary_share_reference,
    diagnose_reference,
    penguin_profile,
    promote_reference,
    promotion_cases,
    promotion_example,
    quality_cases,
)
from prodml_workshop.packaging import quality_issues

__all__ = ["bind", "incident_log", "penguin_profile", "promotion_example"]


def _not_attempted(name: str) -> NotAttempted:
    return NotAttempted(f"`{name}` still raises NotImplementedError.")


# --- q1: the data-quality rule ----------------------------------------------------------------


class QualityRule(FunctionQuestion):
    """Per record, the features out of the reference's (widened) range or unseen."""

    variables = ("quality_issues",)
    hints = (
        "Go feature by feature through `profile['features']`; a column of the frame that the "
        "profile does not name is not checked.",
        "A numeric value is fine within `[min - margin * width, max + margin * width]`, "
        "boundaries included, with `width = max - min` and the margin from the profile.",
        "A missing value (None or NaN) is an issue only where `spec['missing']` is 0; "
        "`frame[name].isna()` finds them. And which comparisons are False for NaN?",
    )

    def cases(self) -> Iterable[tuple]:
        yield from quality_cases(np.random.default_rng())

    def reference(self, frame: pd.DataFrame, profile: dict[str, Any]) -> list[list[str]]:
        self._args = (frame, profile)  # for the message
        return quality_issues(frame, profile)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if not isinstance(actual, list) or not all(
            isinstance(row, list | tuple | set) for row in actual
        ):
            raise Incorrect(f"{what} should return a list with one list of names per row.")
        if len(actual) != len(expected):
            raise Incorrect(
                f"{what} returned {len(actual)} lists for {len(expected)} rows: one per row, "
                "[] for a clean one."
            )
        frame, profile = self._args
        for i, (got, want) in enumerate(zip(actual, expected, strict=True)):
            got, want = {str(name) for name in got}, set(want)
            if got == want:
                continue
            name = sorted(got ^ want)[0]
            value = frame[name].iloc[i] if name in frame.columns else None
            spec = profile["features"].get(name, {})
            wrongly = "flagged" if name in got else "missed"
            raise Incorrect(
                f"row {i}: {name} = {value!r} ({_describe(spec, profile, value)}) — "
                f"you {wrongly} it."
            )


def _describe(spec: dict[str, Any], profile: dict[str, Any], value: Any) -> str:
    if not spec:
        return "not in the profile"
    if pd.api.types.is_scalar(value) and pd.isna(value):
        share = spec.get("missing", 0)
        return f"missing in {share:.0%} of the reference" if share else "never missing before"
    if spec["kind"] == "categorical":
        return f"known categories {spec['categories'][:5]}"
    return f"reference range [{spec['min']}, {spec['max']}], margin {profile['margin']}"


# --- q2: the canary's router ------------------------------------------------------------------

_SHARES = (0.05, 0.3, 0.5, 0.8)
# Random ids: any good hash is within 0.04 of the share (over 4 standard deviations at 3000
# ids). Sequential ids ("req-1", "req-2", ...) are kinder to a weak hash (CRC32 is off by up to
# 0.06), so they only catch routers that read a character or two of the id.
_SHARE_TOLERANCE = {"random": 0.04, "sequential": 0.1}
_CHILD = """
import json, sys
import cloudpickle
sys.path[:0] = json.loads(sys.argv[1])
func = cloudpickle.loads(sys.stdin.buffer.read())
ids = json.loads(sys.argv[2])
print(json.dumps([bool(func(i, 0.3)) for i in ids]))
"""


def _in_another_process(func: Any, ids: list[str]) -> list[bool]:
    """Route ``ids`` at share 0.3 with ``func`` in a new Python process (another hash seed)."""
    import cloudpickle

    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    module = sys.modules.get(getattr(func, "__module__", "") or "")
    # Copy the function itself, not a reference to its module (a notebook or a test file).
    by_value = module is not None and not module.__name__.startswith(("prodml_workshop", "_"))
    if by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        payload = cloudpickle.dumps(func)
    except Exception as err:
        raise Incorrect(
            f"the check could not copy `goes_to_canary` to another process ({err}): "
            "keep it a plain function of its two arguments."
        ) from None
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(sys.path), json.dumps(ids)],
        input=payload,
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        raise Incorrect(f"in another process, `goes_to_canary` failed: {last[:200]}")
    return json.loads(done.stdout)


class CanaryRouter(Question):
    """Route a request to the canary by a hash of its id: stable, and ``share`` of the ids."""

    variables = ("goes_to_canary",)
    hints = (
        "Turn the id into a number that depends on the id alone: the same id, the same number, "
        "in every process, on every machine, after every restart.",
        "Python's `hash()` of a string changes from one process to the next (PYTHONHASHSEED); "
        "`hashlib` does not.",
        "Map the id to a number in [0, 1) and compare it with `share`: what happens to the ids "
        "already on the canary when the share goes up?",
    )

    def _check(self, goes_to_canary: Any) -> None:
        name = "goes_to_canary"
        if not callable(goes_to_canary):
            raise Incorrect(f"`{name}` should be a function, got {type(goes_to_canary).__name__}.")
        rng = np.random.default_rng()
        first = int(rng.integers(0, 10**6))
        families = {
            "random": [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(3000)],
            "sequential": [f"req-{i}" for i in range(first, first + 1000)],
        }
        ids = families["random"] + families["sequential"]

        def route(share: float) -> list[bool]:
            answers = []
            for request_id in ids:
                try:
                    answer = goes_to_canary(request_id, share)
                except NotImplementedError:
                    raise _not_attempted(name) from None
                if not isinstance(answer, bool | np.bool_):
                    raise Incorrect(
                        f"`{name}({request_id!r}, {share})` returned {answer!r}: return True "
                        "(canary) or False."
                    )
                answers.append(bool(answer))
            return answers

        routed = {share: route(share) for share in (0.0, 1.0, *_SHARES)}
        if any(routed[0.0]):
            raise Incorrect("at share 0 some requests went to the canary: none should.")
        if not all(routed[1.0]):
            raise Incorrect("at share 1 some requests stayed on the old version: all should go.")
        n_random = len(families["random"])
        for share in _SHARES:
            for family, part in (
                ("random", slice(n_random)),
                ("sequential", slice(n_random, None)),
            ):
                got = float(np.mean(routed[share][part]))
                if abs(got - share) > _SHARE_TOLERANCE[family]:
                    raise Incorrect(
                        f"at share {share}, {got:.1%} of {len(families[family])} {family} request "
                        f"ids (e.g. {families[family][0]!r}) went to the canary: about "
                        f"{share:.0%} should."
                    )
        if route(0.3) != routed[0.3]:
            raise Incorrect("the same request id got different versions on two calls.")
        for low, high in itertools.pairwise(_SHARES):
            if any(a and not b for a, b in zip(routed[low], routed[high], strict=True)):
                raise Incorrect(
                    f"raising the share from {low} to {high} moved requests that were on the "
                    "canary back to the old version: users would flip between versions."
                )
        sample = ids[:200]
        if _in_another_process(goes_to_canary, sample) != routed[0.3][:200]:
            raise Incorrect(
                "in another Python process the same request ids went to other versions: a "
                "second worker, or a restart, would answer them differently."
            )


# --- q3: a canary share from traffic and an error budget -----------------------------------------


class CanaryShare(FunctionQuestion):
    """The smallest share giving enough evidence, or None when it would break the budget."""

    variables = ("canary_share",)
    hints = (
        "Evidence: the canary must answer at least `min_requests` requests in `hours` hours of "
        "traffic; that fixes the smallest share.",
        "Budget: if the canary is broken, every request it answers until someone notices fails; "
        "how many is that at this share, in `hours_to_detect` hours?",
        "Equal is allowed on both sides; a share above 1 is not a share.",
    )

    def cases(self) -> Iterable[tuple]:
        yield from canary_share_cases(np.random.default_rng())

    def reference(self, *args: Any) -> float | None:
        return canary_share_reference(*args)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if expected is None:
            if actual is not None:
                raise Incorrect(
                    f"{what} returned {actual!r}, but no share gives the evidence without "
                    "risking more failed requests than the budget (or more than all traffic)."
                )
            return
        if actual is None:
            raise Incorrect(f"{what} returned None, but a share meets both needs.")
        if not isinstance(actual, float | int | np.floating | np.integer) or isinstance(
            actual, bool
        ):
            raise Incorrect(f"{what} returned {type(actual).__name__}: return a number or None.")
        if abs(float(actual) - expected) <= 1e-9 * max(1.0, expected):
            return
        side = "larger" if float(actual) > expected else "smaller"
        raise Incorrect(
            f"{what} returned a share {side} than needed: "
            + (
                "exposes more users than the evidence needs."
                if side == "larger"
                else "the canary would not see `min_requests` requests in time."
            )
        )


# --- q4: the promotion gate ---------------------------------------------------------------------


class PromotionGate(FunctionQuestion):
    """Promote a challenger only if it does at least as well on the same labelled window."""

    variables = ("promote",)
    hints = (
        "Keep only the rows where the label and both predictions are known: both models are "
        "judged on the same requests.",
        "Too few such rows is no evidence: refuse. A tie is 'at least as well'.",
        "The technical-drift check and the data quality of the challenger's reference are "
        "conditions too, whatever the accuracy.",
    )

    def cases(self) -> Iterable[tuple]:
        yield from promotion_cases(np.random.default_rng())

    def reference(self, *args: Any) -> bool:
        return promote_reference(*args)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if not isinstance(actual, bool | np.bool_):
            raise Incorrect(f"{what} returned {actual!r}: return True or False.")
        if bool(actual) != expected:
            verb = "promoted" if actual else "refused"
            raise Incorrect(f"{what} {verb} the challenger; the gate's rules say otherwise.")


# --- q5: diagnose an incident -------------------------------------------------------------------


class Diagnose(FunctionQuestion):
    """From a prediction log, say whether to fix a feed or roll back a version, and which."""

    variables = ("diagnose",)
    hints = (
        "Only what clients received counts: the rows with `role == 'served'` since `since`.",
        "The quality column holds comma-separated feature names: split it before counting.",
        "No flag since `since`? Then look for the served version that had not served before.",
    )

    def cases(self) -> Iterable[tuple]:
        rng = np.random.default_rng()  # new logs at every check
        for kind, canary in (("data", False), ("model", False), ("model", True)):
            log, since, _ = incident_log(kind, rng, canary=canary)
            yield log, since

    def reference(self, log: pd.DataFrame, since: pd.Timestamp) -> tuple[str, str]:
        self._log = log  # for the message
        return diagnose_reference(log, since)

    def compare(self, actual: Any, expected: Any, what: str) -> None:
        if not isinstance(actual, tuple | list) or len(actual) != 2:
            raise Incorrect(
                f"{what} returned {short_repr(actual, 60)}: return a pair (kind, name)."
            )
        kind, name = actual
        if kind not in ("data", "model"):
            raise Incorrect(f"{what} returned kind {kind!r}: use 'data' or 'model'.")
        if (kind, name) == tuple(expected):
            return
        blamed = f"{what} blamed {describe_cause((kind, str(name)))}"
        served = self._log[self._log["role"] == "served"]
        if kind != expected[0]:
            flags = "carry quality flags" if expected[0] == "data" else "carry no quality flag"
            raise Incorrect(f"{blamed}, but the rows clients received since `since` {flags}.")
        if kind == "model":
            if name not in set(served["model_version"]):
                raise Incorrect(f"{blamed}, but {name} answered no client (look at `role`).")
            raise Incorrect(f"{blamed}, but {name} already answered clients before `since`.")
        raise Incorrect(f"{blamed}, but another feature is flagged more often since `since`.")


class WhyBothChecks(ThoughtQuestion):
    """Why keep a data-quality check at the door *and* a weekly drift job?"""

    variables: ClassVar[tuple[str, ...]] = ("why_both_checks",)


_QUESTIONS = QuestionSet(
    "05_production",
    [QualityRule, CanaryRouter, CanaryShare, PromotionGate, Diagnose, WhyBothChecks],
)
bind = _QUESTIONS.bind
