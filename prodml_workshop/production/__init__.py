"""The capstone: a model's whole life in production, replayed day by day.

A time-ordered dataset is sent to the model server one day at a time (:func:`replay`); every
prediction lands in the server's prediction log, tagged with its day. A monitoring job
(:class:`MonitoringJob`) reads that log: every day the data quality the service marked, at
the end of every window of days the drift of the inputs and of the outputs against the served
version's reference; it raises an :class:`Alert` when a rule fires. The labels come back later
as feedback (:func:`labelled_log`, :func:`compare_versions`), for the performance over time
and for :func:`retrain`. A challenger passes :func:`promotion_gate` before it replaces the
champion; :func:`deploy` serves a package (alone, or with a second one in shadow or canary),
one server at a time, refusing a package that fails its technical-drift check, and records
it in the :class:`Registry` (BentoML's model store and a history of deployments);
:func:`rollback` returns to the previous version in one call, and :func:`measure_switchover`
shows, from a client, which version answered while it did.

:func:`to_fahrenheit` is the controlled drift of ``notebooks/05_production.ipynb``: from a
known day on, the weather feed sends its temperatures in degrees Fahrenheit.

One module per step: :mod:`.drift_injection` (the controlled drift), :mod:`.registry` (versions and
their history), :mod:`.deployment` (one server at a time, rollback), :mod:`.traffic` (the
replay), :mod:`.request_days` (the day each logged request belongs to),
:mod:`.monitoring_job` (windows, reference, alert rules) and :mod:`.alerts`,
:mod:`.feedback` (labels back, versions compared, retraining), :mod:`.promotion` (the gate)
the client's view of a switch (:mod:`.switchover`) and :mod:`.plot` (the picture).

Examples
--------
>>> from prodml_workshop.production import MonitoringJob, deploy, replay
>>> server = deploy("models/weather-v1", log_db="log.sqlite")  # doctest: +SKIP
>>> job = MonitoringJob("log.sqlite", start="2014-04-01", features=FEATURES)  # doctest: +SKIP
>>> job.watch("models/weather-v1")  # doctest: +SKIP
>>> run = replay(server, production_days, features=FEATURES, job=job)  # doctest: +SKIP
>>> print(run.alert)  # doctest: +SKIP
"""

from .alerts import ALERT_KINDS, Alert
from .deployment import DeploymentError, current_server, deploy, rollback, undeploy
from .drift_injection import TEMPERATURES, to_fahrenheit
from .feedback import compare_versions, labelled_log, retrain
from .monitoring_job import MonitoringJob, UnwatchedVersionError, seasonal_reference
from .plot import plot_production
from .promotion import GateDecision, promotion_gate
from .registry import Registry, RegistryError
from .switchover import Switchover, measure_switchover
from .traffic import ReplayResult, replay

__all__ = [
    "ALERT_KINDS",
    "TEMPERATURES",
    "Alert",
    "DeploymentError",
    "GateDecision",
    "MonitoringJob",
    "Registry",
    "RegistryError",
    "ReplayResult",
    "Switchover",
    "UnwatchedVersionError",
    "compare_versions",
    "current_server",
    "deploy",
    "labelled_log",
    "measure_switchover",
    "plot_production",
    "promotion_gate",
    "replay",
    "retrain",
    "rollback",
    "seasonal_reference",
    "to_fahrenheit",
    "undeploy",
]
