"""The production questions against right answers in several styles and the common wrong ones.

Every check makes up new inputs, so each right answer is checked ``RUNS`` times and must pass
every run; a wrong one must fail each of ``REFUSAL_RUNS`` runs (the edge cases come at every check).
"""

from __future__ import annotations

import hashlib
import random
import zlib
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from question_checks import QuestionChecks, stub

from prodml_workshop.exercises import PLACEHOLDER, Status
from prodml_workshop.exercises import production as ex
from prodml_workshop.exercises.incident_log import incident_log
from prodml_workshop.exercises.production_cases import (
    canary_share_reference,
    diagnose_reference,
    make_window,
    promote_reference,
)
from prodml_workshop.packaging import feature_profile, quality_issues

RUNS = 20
# A wrong answer fails on the edge cases that come at every check, whatever the random inputs
# around them: a few runs show that they do come every time.
REFUSAL_RUNS = 3


_checks = QuestionChecks(ex, runs=RUNS)
_statuses, _always, _message = _checks.statuses, _checks.always, _checks.message


# --- q1: the data-quality rule ------------------------------------------------------------------


def _quality_vectorised(frame, profile):
    margin = profile["margin"]
    issues = [[] for _ in range(len(frame))]
    for name, spec in profile["features"].items():
        if name not in frame.columns:
            continue
        values = frame[name]
        if spec["kind"] == "numeric":
            slack = margin * (spec["max"] - spec["min"])
            bad = (values < spec["min"] - slack) | (values > spec["max"] + slack)
        else:
            bad = values.notna() & ~values.isin(spec["categories"])
        if spec["missing"] == 0:
            bad = bad | values.isna()
        for i in np.flatnonzero(bad.to_numpy()):
            issues[i].append(name)
    return issues


def _quality_by_row(frame, profile):
    out = []
    for _, row in frame.iterrows():
        flagged = set()
        for name, spec in profile["features"].items():
            value = row.get(name)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                if not spec["missing"]:
                    flagged.add(name)
                continue
            if spec["kind"] == "categorical":
                if value not in spec["categories"]:
                    flagged.add(name)
                continue
            width = spec["max"] - spec["min"]
            low = spec["min"] - profile["margin"] * width
            high = spec["max"] + profile["margin"] * width
            if not low <= value <= high:
                flagged.add(name)
        out.append(flagged)
    return out


def _quality_between(frame, profile):
    m = profile["margin"]
    flags = pd.DataFrame(False, index=frame.index, columns=list(profile["features"]))
    for name, spec in profile["features"].items():
        col = frame[name]
        if spec["kind"] == "numeric":
            w = spec["max"] - spec["min"]
            inside = col.between(spec["min"] - m * w, spec["max"] + m * w)
            flags[name] = col.notna() & ~inside
        else:
            flags[name] = col.notna() & ~col.isin(spec["categories"])
        flags[name] |= col.isna() & (spec["missing"] <= 0)
    return [[c for c in flags.columns if r[c]] for _, r in flags.iterrows()]


@pytest.mark.parametrize(
    "answer",
    [
        _quality_vectorised,
        _quality_by_row,
        _quality_between,
        lambda frame, profile: quality_issues(frame, profile),
    ],
)
def test_q1_accepts_the_rule_written_any_way(answer):
    _always(Status.PASS, 1, quality_issues=answer)


def _without_margin(frame, profile):
    return _quality_vectorised(frame, {**profile, "margin": 0.0})


def _fixed_margin(frame, profile):
    return _quality_vectorised(frame, {**profile, "margin": 0.1})


def _strict_bounds(frame, profile):
    m = profile["margin"]
    out = [[] for _ in range(len(frame))]
    for name, spec in profile["features"].items():
        col = frame[name]
        if spec["kind"] == "numeric":
            w = spec["max"] - spec["min"]
            bad = (col <= spec["min"] - m * w) | (col >= spec["max"] + m * w)
        else:
            bad = col.notna() & ~col.isin(spec["categories"])
        bad |= col.isna() & (spec["missing"] == 0)
        for i in np.flatnonzero(bad.to_numpy()):
            out[i].append(name)
    return out


def _missing_is_an_issue(frame, profile):
    m = profile["margin"]
    out = [[] for _ in range(len(frame))]
    for name, spec in profile["features"].items():
        col = frame[name]
        if spec["kind"] == "numeric":
            w = spec["max"] - spec["min"]
            bad = ~col.between(spec["min"] - m * w, spec["max"] + m * w)
        else:
            bad = ~col.isin(spec["categories"])
        for i in np.flatnonzero(bad.to_numpy()):
            out[i].append(name)
    return out


def _missing_is_never_an_issue(frame, profile):
    allowed = {name: {**spec, "missing": 0.5} for name, spec in profile["features"].items()}
    return _quality_vectorised(frame, {**profile, "features": allowed})


def _numbers_only(frame, profile):
    numeric = {n: s for n, s in profile["features"].items() if s["kind"] == "numeric"}
    return _quality_vectorised(frame, {**profile, "features": numeric})


def _over_frame_columns(frame, profile):
    return _quality_vectorised(
        frame, {**profile, "features": {c: profile["features"][c] for c in frame.columns}}
    )


def _rows_with_issues_only(frame, profile):
    return [row for row in _quality_vectorised(frame, profile) if row]


def _fills_in_place(frame, profile):
    for name, spec in profile["features"].items():
        if spec["kind"] == "numeric":
            frame[name] = frame[name].fillna(spec["min"])
    return _quality_vectorised(frame, profile)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_without_margin, "you flagged"),
        (_fixed_margin, ""),
        (_strict_bounds, "you flagged"),
        (_missing_is_an_issue, "you flagged"),
        (_missing_is_never_an_issue, "you missed"),
        (_numbers_only, "you missed"),
        (_over_frame_columns, "KeyError"),
        (_rows_with_issues_only, "one per row"),
        (_fills_in_place, "in place"),
        (lambda frame, profile: {n for row in quality_issues(frame, profile) for n in row}, "list"),
    ],
)
def test_q1_refuses_the_common_wrong_rules_every_time(answer, says):
    _always(Status.FAIL, 1, REFUSAL_RUNS, quality_issues=answer)
    assert says in _message(1, quality_issues=answer)


def test_q1_blank_and_stub_are_not_attempted():
    _always(Status.NOT_ATTEMPTED, 1, 1, quality_issues=PLACEHOLDER)
    _always(Status.NOT_ATTEMPTED, 1, 1, quality_issues=stub)


# --- q2: the canary router ----------------------------------------------------------------------


def _sha(request_id, share):
    digest = hashlib.sha256(request_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _md5_buckets(request_id, share):
    return int(hashlib.md5(request_id.encode()).hexdigest(), 16) % 10_000 < share * 10_000


def _crc_from_the_top(request_id, share):
    return zlib.crc32(request_id.encode()) / 2**32 >= 1 - share


@pytest.mark.parametrize("answer", [_sha, _md5_buckets, _crc_from_the_top])
def test_q2_accepts_any_stable_uniform_hash(answer):
    _always(Status.PASS, 2, 3, goes_to_canary=answer)


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (lambda request_id, share: random.random() < share, "two calls"),
        (lambda request_id, share: hash(request_id) % 1000 < share * 1000, "another Python"),
        (
            lambda request_id, share: (
                zlib.crc32(request_id.encode()) % max(1, round(1 / share)) == 0 if share else False
            ),
            "share",
        ),
        (lambda request_id, share: ord(request_id[-1]) % 10 < share * 10, "went to the canary"),
        (lambda request_id, share: "canary" if _sha(request_id, share) else "stable", "True"),
        (
            lambda request_id, share: (
                int(hashlib.md5(request_id.encode()).hexdigest(), 16) % 100 <= share * 100
            ),
            "at share 0",
        ),
    ],
)
def test_q2_refuses_unstable_or_unfair_routers(answer, says):
    _always(Status.FAIL, 2, 3, goes_to_canary=answer)
    assert says in _message(2, goes_to_canary=answer)


def test_q2_blank_and_stub_are_not_attempted():
    _always(Status.NOT_ATTEMPTED, 2, 1, goes_to_canary=PLACEHOLDER)
    _always(Status.NOT_ATTEMPTED, 2, 1, goes_to_canary=stub)


# --- q3: the canary share -----------------------------------------------------------------------


def _share(rate, hours, need, detect, budget):
    share = need / (rate * hours)
    if share > 1 or share * rate * detect > budget:
        return None
    return share


def _share_other_order(rate, hours, need, detect, budget):
    if need > rate * hours:
        return None
    failures_if_broken = need * detect / hours
    return np.float64(need / rate / hours) if failures_if_broken <= budget else None


@pytest.mark.parametrize("answer", [_share, _share_other_order])
def test_q3_accepts_the_smallest_safe_share(answer):
    _always(Status.PASS, 3, canary_share=answer)


@pytest.mark.parametrize(
    "answer",
    [
        lambda rate, hours, need, detect, budget: need / (rate * hours),  # ignores the budget
        lambda rate, hours, need, detect, budget: (  # caps at 1 instead of refusing
            None
            if min(1, need / (rate * hours)) * rate * detect > budget
            else min(1.0, need / (rate * hours))
        ),
        lambda rate, hours, need, detect, budget: (  # strict budget
            None
            if _share(rate, hours, need, detect, budget) is None or need / hours * detect >= budget
            else need / (rate * hours)
        ),
        lambda rate, hours, need, detect, budget: (  # the largest safe share
            None
            if _share(rate, hours, need, detect, budget) is None
            else min(1.0, budget / (rate * detect))
        ),
        lambda rate, hours, need, detect, budget: _share(rate, hours, need, hours, budget),
        lambda rate, hours, need, detect, budget: (  # a percentage
            None
            if _share(rate, hours, need, detect, budget) is None
            else 100 * _share(rate, hours, need, detect, budget)
        ),
        lambda rate, hours, need, detect, budget: str(_share(rate, hours, need, detect, budget)),
    ],
)
def test_q3_refuses_wrong_shares_every_time(answer):
    _always(Status.FAIL, 3, REFUSAL_RUNS, canary_share=answer)


def test_q3_says_which_way_the_share_is_wrong():
    larger = _message(3, canary_share=lambda *a: None if _share(*a) is None else 2 * _share(*a))
    assert "larger than needed" in larger
    assert "0.1" not in larger.split("returned", 1)[1]  # no expected value


def test_canary_share_reference_boundaries():
    assert canary_share_reference(1000, 4, 400, 2, 200) == pytest.approx(0.1)
    assert canary_share_reference(250, 4, 1000, 0.5, 10_000) == 1.0
    assert canary_share_reference(100, 2, 500, 1, 10_000) is None


# --- q4: the promotion gate ---------------------------------------------------------------------


def _gate(feedback, technical_ok, quality_ok, min_rows):
    judged = feedback.dropna(subset=["label", "champion", "challenger"])
    if not (technical_ok and quality_ok) or len(judged) < min_rows:
        return False
    return bool(
        (judged["challenger"] == judged["label"]).sum()
        >= (judged["champion"] == judged["label"]).sum()
    )


def _gate_by_accuracy(feedback, technical_ok, quality_ok, min_rows):
    both = feedback[feedback[["label", "champion", "challenger"]].notna().all(axis=1)]
    if len(both) < min_rows:
        return False
    better = (both.challenger == both.label).mean() >= (both.champion == both.label).mean()
    return better and technical_ok and quality_ok  # a numpy bool


@pytest.mark.parametrize("answer", [_gate, _gate_by_accuracy])
def test_q4_accepts_the_gate_written_any_way(answer):
    _always(Status.PASS, 4, promote=answer)


def _strict(feedback, technical_ok, quality_ok, min_rows):
    judged = feedback.dropna(subset=["label", "champion", "challenger"])
    if not (technical_ok and quality_ok) or len(judged) < min_rows:
        return False
    return bool((judged.challenger == judged.label).sum() > (judged.champion == judged.label).sum())


def _own_rows(feedback, technical_ok, quality_ok, min_rows):
    labelled = feedback[feedback["label"].notna()]
    chall = labelled[labelled["challenger"].notna()]
    if not (technical_ok and quality_ok) or len(chall) < min_rows:
        return False
    return bool(
        (chall.challenger == chall.label).mean() >= (labelled.champion == labelled.label).mean()
    )


def _unscored_as_wrong(feedback, technical_ok, quality_ok, min_rows):
    labelled = feedback[feedback["label"].notna()]
    if not (technical_ok and quality_ok) or len(labelled) < min_rows:
        return False
    return bool(
        (labelled.challenger == labelled.label).sum() >= (labelled.champion == labelled.label).sum()
    )


@pytest.mark.parametrize(
    "answer",
    [
        _strict,
        _own_rows,
        _unscored_as_wrong,
        lambda f, t, q, n: _gate(f, True, True, n),  # ignores the checks
        lambda f, t, q, n: _gate(f, t, q, 0),  # ignores the evidence needed
        lambda f, t, q, n: _gate(f, t, q, n + 1),  # more than min_rows
        lambda f, t, q, n: "yes" if _gate(f, t, q, n) else "no",
    ],
)
def test_q4_refuses_careless_gates_every_time(answer):
    _always(Status.FAIL, 4, REFUSAL_RUNS, promote=answer)


def test_q4_refuses_a_gate_that_drops_rows_in_place():
    def in_place(feedback, technical_ok, quality_ok, min_rows):
        feedback.dropna(subset=["label", "champion", "challenger"], inplace=True)
        return _gate(feedback, technical_ok, quality_ok, min_rows)

    _always(Status.FAIL, 4, 3, promote=in_place)


def test_promotion_window_counts_what_it_is_told():
    rng = np.random.default_rng(1)
    window = make_window(rng, (40, 30, 33), (30, 30), 5)
    judged = window.dropna(subset=["label", "champion", "challenger"])
    assert len(judged) == 40 and len(window) == 75
    assert (judged.champion == judged.label).sum() == 30
    assert (judged.challenger == judged.label).sum() == 33
    assert promote_reference(window, True, True, 40)
    assert not promote_reference(window, True, True, 41)


# --- q5: diagnose -------------------------------------------------------------------------------


def _diagnose(log, since):
    served = log[log["role"] == "served"]
    after = served[served["timestamp"] >= since]
    flags = after["quality"].str.split(",").explode()
    flags = flags[flags.str.strip() != ""]
    if len(flags):
        return "data", flags.value_counts().index[0]
    before = set(served.loc[served["timestamp"] < since, "model_version"])
    return "model", next(v for v in after["model_version"] if v not in before)


def _diagnose_loop(log, since):
    counts, first_seen = Counter(), {}
    for row in log.itertuples():
        if row.role != "served":
            continue
        first_seen.setdefault(row.model_version, row.timestamp)
        if row.timestamp >= since:
            counts.update(f for f in row.quality.split(",") if f)
    if counts:
        return ["data", counts.most_common(1)[0][0]]
    return ("model", max(first_seen, key=first_seen.get))


@pytest.mark.parametrize("answer", [_diagnose, _diagnose_loop])
def test_q5_accepts_the_runbook_written_any_way(answer):
    _always(Status.PASS, 5, diagnose=answer)


def _ignores_role(log, since):
    after = log[log["timestamp"] >= since]
    if (after["quality"] != "").any():
        return _diagnose(log, since)
    return "model", log.groupby("model_version")["timestamp"].min().idxmax()


def _no_time_filter(log, since):
    served = log[log["role"] == "served"]
    flags = served["quality"].str.split(",").explode()
    flags = flags[flags != ""]
    if len(flags):
        return "data", flags.value_counts().index[0]
    return _diagnose(log, since)


def _whole_strings(log, since):
    served = log[(log["role"] == "served") & (log["timestamp"] >= since)]
    flagged = served.loc[served["quality"] != "", "quality"]
    if len(flagged):
        return "data", flagged.value_counts().index[0]
    return _diagnose(log, since)


def _most_rows_since(log, since):
    kind, name = _diagnose(log, since)
    if kind == "data":
        return kind, name
    served = log[(log["role"] == "served") & (log["timestamp"] >= since)]
    return "model", served["model_version"].value_counts().index[0]


def _always_roll_back(log, since):
    served = log[log["role"] == "served"]
    return "model", served.sort_values("timestamp")["model_version"].iloc[-1]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (_ignores_role, "answered no client"),
        (_no_time_filter, "blamed a data problem"),
        (_whole_strings, "another feature"),
        (_most_rows_since, "already answered clients"),
        (_always_roll_back, "carry quality flags"),
        (lambda log, since: _diagnose(log, since)[1], "pair"),
    ],
)
def test_q5_refuses_the_quick_diagnoses_every_time(answer, says):
    _always(Status.FAIL, 5, REFUSAL_RUNS, diagnose=answer)
    assert says in _message(5, diagnose=answer)


@pytest.mark.parametrize("seed", range(10))
def test_incident_log_cause_is_what_the_runbook_finds(seed):
    rng = np.random.default_rng(seed)
    for kind, canary in (("data", False), ("model", False), ("model", True)):
        log, since, cause = incident_log(kind, rng, canary=canary)
        assert diagnose_reference(log, since) == cause
        shadow = log[log["role"] == "shadow"]
        assert shadow["timestamp"].min() > since and shadow["model_version"].nunique() == 1


# --- q6 and the whole notebook --------------------------------------------------------------------


def test_q6_is_recorded_for_review_not_passed():
    answer = "Quality sees one record at once; drift needs many records but sees shifts in range."
    assert ex.bind({"why_both_checks": answer})[5].evaluate().status is Status.REVIEW
    assert ex.bind({"why_both_checks": "both"})[5].evaluate().status is Status.NOT_ATTEMPTED


def test_penguin_profile_is_the_services_profile():
    from prodml_workshop.data import PENGUIN_FEATURES, load_penguins

    assert ex.penguin_profile() == feature_profile(load_penguins()[PENGUIN_FEATURES])
