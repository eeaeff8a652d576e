"""The capstone's props: the drift injected, the replay, a client's view of a switch, the picture.

:func:`to_fahrenheit` is the controlled drift of ``notebooks/05_production.ipynb``: from a
known day on, the weather feed sends its temperatures in degrees Fahrenheit
(:mod:`.drift_injection`). :func:`replay` sends a time-ordered dataset to the model server one
day at a time, each request tagged with its day, and runs the monitoring job after each day
(:mod:`.traffic`). :func:`measure_switchover` shows, from a client, which version answered
while a rollout or a rollback switched servers (:mod:`.switchover`); :func:`plot_production`
draws drift and accuracy per version (:mod:`.plot`). :func:`label_tests` sets the job's test of a
week of labels beside Fisher's exact test, valid at seven predictions (:mod:`.small_windows`).
"""

from .drift_injection import TEMPERATURES, to_fahrenheit
from .plot import plot_production
from .small_windows import exact_label_pvalue, label_tests
from .switchover import Switchover, measure_switchover
from .traffic import ReplayResult, replay

__all__ = [
    "TEMPERATURES",
    "ReplayResult",
    "Switchover",
    "exact_label_pvalue",
    "label_tests",
    "measure_switchover",
    "plot_production",
    "replay",
    "to_fahrenheit",
]
