"""Build intuition for drift statistics: controlled shifts, sample sizes, thresholds, false alarms.

Two normal samples, the reference from N(0, 1) and the current one from N(shift, scale), are
compared with every numeric statistic of :data:`~prodml_workshop.monitoring.STAT_TESTS`.
Because the shift is known, each verdict can be called right (a detection or a quiet "no
drift") or wrong (a false alarm or a miss). :func:`explore_drift` computes one case,
:func:`alarm_rates` repeats it many times, and :func:`drift_explorer` puts sliders on it.

Examples
--------
>>> table = explore_drift(shift=0.0, n=2000, seed=1)
>>> table["verdict"].tolist()
['quiet', 'quiet', 'quiet', 'quiet']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.monitoring import (
    STAT_TESTS,
    default_test,
    jensen_shannon_distance,
    ks_pvalue,
    psi,
    wasserstein_normed,
)

__all__ = [
    "NUMERIC_STATISTICS",
    "alarm_rates",
    "compare_statistics",
    "drift_explorer",
    "explore_drift",
    "synthetic_samples",
]

#: The statistics that compare two numeric samples, by Evidently's name.
NUMERIC_STATISTICS = {
    "ks": ks_pvalue,
    "wasserstein": wasserstein_normed,
    "psi": psi,
    "jensenshannon": jensen_shannon_distance,
}

#: The sample sizes the explorer's slider offers (a log scale).
SAMPLE_SIZES = (10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000, 30000, 100000)


def synthetic_samples(
    n: int,
    shift: float = 0.0,
    scale: float = 1.0,
    *,
    n_reference: int | None = None,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a reference from N(0, 1) and a current sample from N(shift, scale).

    Parameters
    ----------
    n : int
        Size of the current sample (and of the reference, unless ``n_reference`` is given).
    shift : float, default=0.0
        How far the current mean moved, in reference standard deviations.
    scale : float, default=1.0
        The current standard deviation (1: the spread did not change).
    n_reference : int, default=None
        Size of the reference; ``n`` when None.
    seed : int or None, default=0
        Seed of the random generator; None for fresh samples at every call.

    Returns
    -------
    reference, current : numpy.ndarray
        The two samples.

    Examples
    --------
    >>> reference, current = synthetic_samples(1000, shift=1.0)
    >>> round(float(current.mean() - reference.mean()))
    1
    """
    rng = np.random.default_rng(seed)
    reference = rng.normal(0.0, 1.0, n if n_reference is None else n_reference)
    current = rng.normal(shift, scale, n)
    return reference, current


def compare_statistics(
    reference: Any,
    current: Any,
    *,
    p_threshold: float | None = None,
    distance_threshold: float | None = None,
) -> pd.DataFrame:
    """Compute every numeric drift statistic on two samples, with its verdict.

    Parameters
    ----------
    reference, current : array-like of numbers
        The two samples.
    p_threshold : float, default=None
        Threshold of the p-value (``ks``); Evidently's 0.05 when None.
    distance_threshold : float, default=None
        Threshold of the distances (``wasserstein``, ``psi``, ``jensenshannon``); Evidently's
        0.1 when None.

    Returns
    -------
    pandas.DataFrame
        Indexed by statistic name, with ``title``, ``score``, ``threshold``, ``drifted`` and
        ``evidently_default`` (True for the statistic Evidently would pick for this
        reference size: ``ks`` up to 1000 reference values, ``wasserstein`` above).

    Examples
    --------
    >>> compare_statistics([0.0, 1.0, 2.0] * 50, [0.0, 1.0, 2.0] * 50)["drifted"].any()
    np.False_
    """
    reference, current = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    default = default_test("numerical", reference.size, np.unique(reference).size)
    rows = []
    for name, statistic in NUMERIC_STATISTICS.items():
        test = STAT_TESTS[name]
        threshold = p_threshold if test.score == "p_value" else distance_threshold
        threshold = test.default_threshold if threshold is None else threshold
        score = statistic(reference, current)
        rows.append(
            {
                "statistic": name,
                "title": test.title,
                "score": score,
                "threshold": threshold,
                "drifted": test.is_drift(score, threshold),
                "evidently_default": name == default,
            }
        )
    return pd.DataFrame(rows).set_index("statistic")


def explore_drift(
    shift: float = 0.0,
    n: int = 300,
    scale: float = 1.0,
    *,
    p_threshold: float | None = None,
    distance_threshold: float | None = None,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Draw a controlled case with :func:`synthetic_samples` and compare it.

    Parameters
    ----------
    shift, scale : float
        The true change of the current sample's mean (in standard deviations) and spread.
    n : int, default=300
        Size of both samples.
    p_threshold, distance_threshold : float, default=None
        Thresholds, as for :func:`compare_statistics`.
    seed : int or None, default=0
        Seed of the samples.

    Returns
    -------
    pandas.DataFrame
        :func:`compare_statistics`'s table plus ``verdict``: ``"detected"``, ``"missed"``,
        ``"false alarm"`` or ``"quiet"`` (no drift flagged, none there).

    Examples
    --------
    >>> explore_drift(shift=0.05, n=100000).loc["ks", "verdict"]
    'detected'
    """
    reference, current = synthetic_samples(n, shift, scale, seed=seed)
    table = compare_statistics(
        reference, current, p_threshold=p_threshold, distance_threshold=distance_threshold
    )
    changed = shift != 0 or scale != 1
    table["verdict"] = [
        ("detected" if changed else "false alarm")
        if drifted
        else ("missed" if changed else "quiet")
        for drifted in table["drifted"]
    ]
    return table


def alarm_rates(
    shifts: Sequence[float],
    sizes: Sequence[int],
    *,
    scale: float = 1.0,
    repeats: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """Share of repeated draws that each statistic flags, per shift and sample size.

    At ``shift=0`` (and ``scale=1``) this is the false-alarm rate; otherwise the detection
    rate (the test's power).

    Parameters
    ----------
    shifts : sequence of float
        True mean shifts to try, in standard deviations.
    sizes : sequence of int
        Sample sizes to try (both samples have this size).
    scale : float, default=1.0
        The current sample's standard deviation.
    repeats : int, default=100
        Draws per (shift, size).
    seed : int, default=0
        Seed of the whole experiment.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(shift, n)``, one column per statistic: the share of draws flagged as
        drifted at Evidently's default thresholds.

    Examples
    --------
    >>> rates = alarm_rates([0.0], [2000], repeats=20)
    >>> float(rates.loc[(0.0, 2000), "wasserstein"])
    0.0
    """
    rng = np.random.default_rng(seed)
    rows = []
    for shift in shifts:
        for n in sizes:
            flags = {name: 0 for name in NUMERIC_STATISTICS}
            for _ in range(repeats):
                reference = rng.normal(0.0, 1.0, n)
                current = rng.normal(shift, scale, n)
                for name, statistic in NUMERIC_STATISTICS.items():
                    flags[name] += STAT_TESTS[name].is_drift(statistic(reference, current))
            rows.append({"shift": shift, "n": n, **{k: v / repeats for k, v in flags.items()}})
    return pd.DataFrame(rows).set_index(["shift", "n"])


def _show_case(
    shift: float, n: int, scale: float, p_threshold: float, distance_threshold: float, seed: int
) -> None:
    import matplotlib.pyplot as plt
    from IPython.display import display

    table = explore_drift(
        shift,
        n,
        scale,
        p_threshold=p_threshold,
        distance_threshold=distance_threshold,
        seed=seed,
    )
    display(table[["score", "threshold", "drifted", "verdict", "evidently_default"]])
    reference, current = synthetic_samples(n, shift, scale, seed=seed)
    fig, ax = plt.subplots(figsize=(7, 2.2))
    bins = np.histogram_bin_edges(np.concatenate([reference, current]), bins=40)
    ax.hist(reference, bins=bins, density=True, alpha=0.5, label="reference N(0, 1)")
    ax.hist(current, bins=bins, density=True, alpha=0.5, label=f"current N({shift:g}, {scale:g})")
    ax.legend(fontsize="small")
    ax.set_title(f"n = {n:,} per sample")
    plt.show()
    plt.close(fig)


#: What a front end without a widget manager shows in the explorer's place: RISE 0.43.1's slides
#: (its panel fails to load the widget manager), a static render of the notebook.
SLIDERS_ELSEWHERE = (
    "<p><b>The drift explorer's sliders work in JupyterLab's notebook view, not in the slides</b> "
    "(RISE's slides cannot load widgets): move them in the notebook beside the slide panel, "
    "or close the slideshow; or run <code>explore_drift(shift=0.3, n=20)</code> in a cell "
    "for one case's table.</p>"
)


def drift_explorer() -> Any:
    """Return sliders over :func:`explore_drift`: shift, spread, sample size, thresholds, seed.

    The table and the two samples' histograms update as the sliders move (it needs a live
    Jupyter front end; the same numbers come from :func:`explore_drift` in a plain cell).
    A front end that cannot show widgets, such as RISE's slides, shows
    :data:`SLIDERS_ELSEWHERE` instead: where to use the sliders.

    Returns
    -------
    ipywidgets.interactive
        Display it (last expression of a cell).

    Examples
    --------
    >>> drift_explorer()  # doctest: +SKIP
    """
    import ipywidgets as widgets

    style = {"description_width": "9em"}
    layout = widgets.Layout(width="32em")

    def slider(kind: Any, description: str, **kwargs: Any) -> Any:
        return kind(description=description, style=style, layout=layout, **kwargs)

    class DriftExplorer(widgets.interactive):
        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
            # JupyterLab prefers the widget view; a front end without it shows the note
            return {**super()._repr_mimebundle_(**kwargs), "text/html": SLIDERS_ELSEWHERE}

    return DriftExplorer(
        _show_case,
        shift=slider(widgets.FloatSlider, "shift (std)", value=0.0, min=0.0, max=1.5, step=0.01),
        n=slider(widgets.SelectionSlider, "sample size", options=list(SAMPLE_SIZES), value=300),
        scale=slider(widgets.FloatSlider, "spread (std)", value=1.0, min=0.5, max=2.0, step=0.05),
        p_threshold=slider(
            widgets.FloatLogSlider,
            "p-value threshold",
            value=0.05,
            base=10,
            min=-4,
            max=-1,
            step=0.1,
        ),
        distance_threshold=slider(
            widgets.FloatSlider, "distance threshold", value=0.1, min=0.02, max=0.5, step=0.01
        ),
        seed=slider(widgets.IntSlider, "seed (new draw)", value=0, min=0, max=20),
    )
