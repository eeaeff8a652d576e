"""The capstone: a model's whole life in production, replayed day by day.

A time-ordered dataset is sent to the model server one day at a time (:func:`replay`); every
prediction lands in the server's prediction log, tagged with its day. A monitoring job
(:class:`MonitoringJob`) reads that log at the end of every window of days, compares the
window's inputs with the served model's reference data, and raises an :class:`Alert` when at
least half of the features drifted. The labels come back later as feedback
(:func:`labelled_log`), for the performance over time and for :func:`retrain`. A new package
replaces the served one with :func:`deploy`, which keeps one server at a time and refuses a
package that fails its technical-drift check.

:func:`to_fahrenheit` is the controlled drift of ``notebooks/05_production.ipynb``: from a
known day on, the weather feed sends its temperatures in degrees Fahrenheit.

One module per step: :mod:`.drift` (the controlled drift), :mod:`.deployment` (one server at
a time), :mod:`.traffic` (the replay), :mod:`.request_days` (the day each logged request
belongs to), :mod:`.monitoring_job` (windows, reference, alert rule), :mod:`.feedback`
(labels back, retraining) and :mod:`.plot` (the picture).

Examples
--------
>>> from prodml_workshop.production import MonitoringJob, deploy, replay
>>> server = deploy("models/weather-v1", log_db="log.sqlite")  # doctest: +SKIP
>>> job = MonitoringJob("log.sqlite", start="2014-04-01", features=FEATURES)  # doctest: +SKIP
>>> job.watch("models/weather-v1")  # doctest: +SKIP
>>> run = replay(server, production_days, features=FEATURES, job=job)  # doctest: +SKIP
>>> print(run.alert)  # doctest: +SKIP
"""

from .deployment import DeploymentError, current_server, deploy, undeploy
from .drift import TEMPERATURES, to_fahrenheit
from .feedback import labelled_log, retrain
from .monitoring_job import Alert, MonitoringJob, UnwatchedVersionError, seasonal_reference
from .plot import plot_production
from .traffic import ReplayResult, replay

__all__ = [
    "TEMPERATURES",
    "Alert",
    "DeploymentError",
    "MonitoringJob",
    "ReplayResult",
    "UnwatchedVersionError",
    "current_server",
    "deploy",
    "labelled_log",
    "plot_production",
    "replay",
    "retrain",
    "seasonal_reference",
    "to_fahrenheit",
    "undeploy",
]
