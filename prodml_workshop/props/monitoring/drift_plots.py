"""Pictures of the monitoring lecture: drift scores, drift over time, Page-Hinkley's climb.

:func:`plot_drift_scores` draws the controlled-drift cases of
:func:`~prodml_workshop.props.monitoring.explorer.explore_drift`: one panel per statistic, one
bar per case, the threshold as a line, each bar coloured by its verdict.
:func:`plot_drift_timeline` draws the share of drifted columns per window of
:func:`~prodml_workshop.monitoring.timeline.drift_over_time`. :func:`page_hinkley_trace`
records what a :class:`~prodml_workshop.monitoring.PageHinkley` detector watches (how far the
cumulative excess has climbed above its lowest point) and where it alarmed;
:func:`plot_page_hinkley` draws it against the threshold.

Examples
--------
>>> import numpy as np
>>> from prodml_workshop.monitoring import PageHinkley
>>> stream = np.r_[np.zeros(50), np.ones(50)]
>>> trace = page_hinkley_trace(stream, PageHinkley(threshold=5))
>>> int(trace["alarm"].idxmax()), bool(trace["statistic"].max() <= 5)
(55, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from prodml_workshop.monitoring import PageHinkley

__all__ = [
    "VERDICT_COLOURS",
    "page_hinkley_trace",
    "plot_drift_scores",
    "plot_drift_timeline",
    "plot_page_hinkley",
]

#: Bar colour per verdict: right answers in green and grey, wrong ones in red and orange.
VERDICT_COLOURS = {
    "detected": "tab:green",
    "quiet": "tab:gray",
    "false alarm": "tab:red",
    "missed": "tab:orange",
}

# Scores are drawn on a log scale; a p-value of exactly 0 is drawn at this floor.
_FLOOR = 1e-12


def plot_drift_scores(tables: Mapping[str, pd.DataFrame], *, axes: Any = None) -> Any:
    """Draw each case's score per statistic against its threshold, coloured by verdict.

    One panel per statistic, one dot per case on a log scale (a dot, not a bar: on a log scale
    a bar's length would mean nothing), the threshold as a dashed line.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Case name to what :func:`~prodml_workshop.props.monitoring.explorer.explore_drift`
        returned (indexed by statistic, with ``title``, ``score``, ``threshold`` and
        ``verdict``).
    axes : sequence of matplotlib.axes.Axes, default=None
        One axes per statistic; a new figure when None.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The panels, one per statistic.

    Raises
    ------
    ValueError
        If ``tables`` is empty or the tables do not list the same statistics.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from prodml_workshop.props.monitoring.explorer import explore_drift
    >>> axes = plot_drift_scores({"no change": explore_drift(n=100), "+1 std":
    ...                           explore_drift(shift=1.0, n=100)})
    >>> [ax.get_title() for ax in axes][:2]
    ['Kolmogorov-Smirnov p-value\\n(drift when below 0.05)', 'Wasserstein distance (normed)\\n(drift when above 0.1)']
    """  # noqa: E501
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import NullFormatter

    if not tables:
        raise ValueError("tables is empty: pass {case name: explore_drift(...)}.")
    names = list(tables)
    statistics = list(tables[names[0]].index)
    if any(list(table.index) != statistics for table in tables.values()):
        raise ValueError("Every table must list the same statistics, in the same order.")
    if axes is None:
        _, axes = plt.subplots(
            1,
            len(statistics),
            figsize=(3.2 * len(statistics), 0.45 * len(names) + 1.6),
            sharey=True,
        )
    axes = np.atleast_1d(axes)
    positions = np.arange(len(names))[::-1]
    for ax, statistic in zip(axes, statistics, strict=True):
        rows = pd.DataFrame({name: tables[name].loc[statistic] for name in names}).T
        scores = np.maximum(rows["score"].to_numpy(dtype=float), _FLOOR)
        colours = [VERDICT_COLOURS.get(v, "black") for v in rows["verdict"]]
        ax.scatter(scores, positions, c=colours, s=70, zorder=3)
        threshold = float(rows["threshold"].iloc[0])
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(axis="y", alpha=0.3)
        is_p_value = "p-value" in str(rows["title"].iloc[0])
        side = "below" if is_p_value else "above"
        ax.set_title(f"{rows['title'].iloc[0]}\n(drift when {side} {threshold:g})", fontsize=9)
        ax.set_yticks(positions, names)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colour, label=verdict)
        for verdict, colour in VERDICT_COLOURS.items()
    ]
    axes[-1].legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    return axes


def page_hinkley_trace(stream: Iterable[float], detector: PageHinkley) -> pd.DataFrame:
    """Run a Page-Hinkley detector over a stream and record its statistic at every step.

    Parameters
    ----------
    stream : iterable of float
        The errors in time order (a pandas Series keeps its index, e.g. dates).
    detector : PageHinkley
        The detector to feed; it restarts from scratch after each alarm.

    Returns
    -------
    pandas.DataFrame
        One row per value: ``statistic`` (cumulative excess above its lowest point: the
        detector alarms when it exceeds ``detector.threshold``, then starts again from 0) and
        ``alarm`` (True where an alarm was raised).

    Examples
    --------
    >>> page_hinkley_trace([0, 0, 0, 1, 1, 1], PageHinkley(threshold=1, min_samples=2))["alarm"].tolist()
    [False, False, False, False, True, False]
    """  # noqa: E501
    index = stream.index if isinstance(stream, pd.Series) else None
    statistic, alarms = [], []
    for x in stream:
        alarm = detector.update(float(x))
        alarms.append(alarm)
        statistic.append(detector.cumulative - detector.minimum)
    return pd.DataFrame({"statistic": statistic, "alarm": alarms}, index=index)


def plot_page_hinkley(
    trace: pd.DataFrame,
    threshold: float,
    *,
    change: Any = None,
    ax: Any = None,
    title: str = "Page-Hinkley statistic",
) -> Any:
    """Draw a :func:`page_hinkley_trace` against the threshold, with its alarms.

    Parameters
    ----------
    trace : pandas.DataFrame
        What :func:`page_hinkley_trace` returned.
    threshold : float
        The detector's threshold, drawn as a dashed line.
    change : object, default=None
        Where the change really happened (an index value), drawn as a grey line.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when None.
    title : str
        The plot's title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> trace = page_hinkley_trace([0] * 40 + [1] * 40, PageHinkley(threshold=5))
    >>> plot_page_hinkley(trace, 5, change=40).get_ylabel()
    'cumulative excess above its minimum'
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2.8))
    ax.plot(trace.index, trace["statistic"], linewidth=1, label="statistic")
    ax.axhline(threshold, color="tab:red", linestyle="--", linewidth=1, label="threshold")
    alarms = trace.index[trace["alarm"].to_numpy(dtype=bool)]
    ax.scatter(alarms, [threshold] * len(alarms), color="tab:red", zorder=3, label="alarm")
    if change is not None:
        ax.axvline(change, color="gray", linewidth=2, alpha=0.6, label="the change")
    ax.set(title=title, ylabel="cumulative excess above its minimum")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_drift_timeline(
    timelines: pd.DataFrame | Mapping[str, pd.DataFrame],
    *,
    drift_share: float = 0.5,
    ax: Any = None,
    title: str = "Share of drifted columns per window",
) -> Any:
    """Plot ``share_drifted`` of one or several timelines, with the dataset-drift limit.

    Parameters
    ----------
    timelines : pandas.DataFrame or mapping of str to pandas.DataFrame
        What :func:`~prodml_workshop.monitoring.timeline.drift_over_time` returned; several,
        by label, to compare references.
    drift_share : float, default=0.5
        Where to draw the dataset-drift limit.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when None.
    title : str
        The plot's title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> plot_drift_timeline({"vs 2012": timeline})  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if isinstance(timelines, pd.DataFrame):
        timelines = {"share of drifted columns": timelines}
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3))
    for label, timeline in timelines.items():
        ax.plot(timeline.index, timeline["share_drifted"], marker="o", label=label)
    ax.axhline(drift_share, color="grey", linestyle="--", label=f"dataset drift ({drift_share:g})")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("share drifted")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    return ax
