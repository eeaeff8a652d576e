"""The picture of the capstone: drift and performance per window, the events on top."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["plot_production"]


def plot_production(
    report: pd.DataFrame,
    *,
    events: Mapping[str, str | pd.Timestamp] | None = None,
    names: Mapping[str, str] | None = None,
    drift_share: float = 0.5,
    metric: str = "accuracy",
) -> Any:
    """Plot the share of drifted features and the performance per window, with the events.

    Parameters
    ----------
    report : pandas.DataFrame
        :meth:`MonitoringJob.run <.monitoring_job.MonitoringJob.run>`'s table joined with a
        ``metric`` column (e.g. from :func:`~prodml_workshop.monitoring.performance_by_window`).
    events : mapping of str to day, default=None
        Vertical lines, e.g. ``{"drift starts": "2014-07-01", "alert": alert.raised_on}``.
    names : mapping of str to str, default=None
        Display names of the model versions, e.g. ``{"skops-3f2a...": "v1"}``.
    drift_share : float, default=0.5
        Where the alert rule's line is drawn.
    metric : str, default="accuracy"
        The performance column of ``report``.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the time axis.

    Examples
    --------
    >>> plot_production(report, events={"alert": run.alert.raised_on})  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    names = dict(names or {})
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
    width = pd.Timedelta(days=5)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (version, rows) in enumerate(report.groupby("model_version", sort=False)):
        label = names.get(version, version)
        color = colors[i % len(colors)]
        middle = rows.index + pd.Timedelta(days=3)
        top.bar(middle, rows["share_drifted"], width=width, color=color, label=label)
        if metric in rows:
            bottom.plot(middle, rows[metric], marker="o", color=color, label=label)
    top.axhline(drift_share, color="grey", linestyle="--", label=f"alert rule ({drift_share:g})")
    top.set(ylabel="share of drifted\nfeatures", ylim=(0, 1.05), title="Weekly monitoring")
    bottom.set(ylabel=metric, ylim=(-0.05, 1.05))
    styles = ["red", "darkorange", "green", "purple"]
    for (label, day), color in zip((events or {}).items(), styles * 3, strict=False):
        for ax, name in ((top, label), (bottom, None)):
            ax.axvline(pd.Timestamp(day), color=color, linestyle=":", linewidth=2, label=name)
    top.legend(loc="upper left", fontsize="small", ncol=3)
    bottom.legend(loc="lower left", fontsize="small", ncol=2)
    fig.tight_layout()
    return fig
