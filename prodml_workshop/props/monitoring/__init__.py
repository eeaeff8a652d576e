"""The monitoring lecture's props: controlled drift cases, plots, Evidently beside ours, probes.

:mod:`.explorer` runs the statistics on drift cases made to order (and a widget to move them);
:mod:`.drift_plots` draws scores, timelines and Page-Hinkley's climb; :mod:`.evidently_report`
and :mod:`.evidently_tests` run Evidently on the same data and put its verdicts in our table;
:mod:`.physical_change` makes a change drift cannot see (a stuck sensor);
:mod:`.environment_changes` shows the warnings of a changed environment and the technical-drift
check where a dependency is missing.
"""

from .drift_plots import (
    page_hinkley_trace,
    plot_drift_scores,
    plot_drift_timeline,
    plot_page_hinkley,
)
from .environment_changes import caught_warnings, technical_drift_without
from .evidently_report import evidently_drift_result, run_evidently_drift
from .evidently_tests import evidently_default_tests, evidently_stat_tests
from .explorer import alarm_rates, drift_explorer, explore_drift
from .physical_change import freezing_point, road_readings

__all__ = [
    "alarm_rates",
    "caught_warnings",
    "drift_explorer",
    "evidently_default_tests",
    "evidently_drift_result",
    "evidently_stat_tests",
    "explore_drift",
    "freezing_point",
    "page_hinkley_trace",
    "plot_drift_scores",
    "plot_drift_timeline",
    "plot_page_hinkley",
    "road_readings",
    "run_evidently_drift",
    "technical_drift_without",
]
