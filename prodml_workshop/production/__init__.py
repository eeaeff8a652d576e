"""The capstone: a model's whole life in production, replayed day by day.

A time-ordered dataset is sent to the model server one day at a time (the lecture's
:func:`~prodml_workshop.props.production.replay`); every prediction lands in the server's
prediction log, tagged with its day. A monitoring job (:class:`MonitoringJob`) reads that log:
every day the data quality the service marked, at the end of every window of days the drift of
the inputs and of the outputs against the served version's reference; it raises an
:class:`Alert` when a rule fires. The labels come back later as feedback
(:func:`labelled_log`, :func:`compare_versions`), for the performance over time and for
:func:`retrain`. A challenger passes :func:`promotion_gate` before it replaces the champion;
:func:`deploy` serves a package (alone, or with a second one in shadow or canary), one server
at a time, refusing a package that fails its technical-drift check, and records it in the
:class:`Registry` (BentoML's model store and a history of deployments); :func:`rollback`
returns to the previous version in one call.

One module per step: :mod:`.registry` (versions and their history), :mod:`.deployment` (one
server at a time, rollback), :mod:`.request_days` (the day each logged request belongs to),
:mod:`.monitoring_job` (windows, reference, alert rules) and :mod:`.alerts`, :mod:`.feedback`
(labels back, versions compared, retraining) and :mod:`.promotion` (the gate). The lecture's
props (the injected drift, the replay, a client's view of a switch, the picture) are in
:mod:`prodml_workshop.props.production`.

Examples
--------
>>> from prodml_workshop.production import MonitoringJob, deploy
>>> from prodml_workshop.props.production import replay
>>> server = deploy("models/weather-v1", log_db="log.sqlite")  # doctest: +SKIP
>>> job = MonitoringJob("log.sqlite", start="2014-04-01", features=FEATURES)  # doctest: +SKIP
>>> job.watch("models/weather-v1")  # doctest: +SKIP
>>> run = replay(server, production_days, features=FEATURES, job=job)  # doctest: +SKIP
>>> print(run.alert)  # doctest: +SKIP
"""

from .alerts import ALERT_KINDS, Alert
from .deployment import DeploymentError, current_server, deploy, rollback, undeploy
from .feedback import compare_versions, labelled_log, retrain
from .monitoring_job import (
    IncompleteLogWarning,
    MonitoringJob,
    UnwatchedVersionError,
    seasonal_reference,
)
from .promotion import GateDecision, promotion_gate
from .registry import Registry, RegistryError

__all__ = [
    "ALERT_KINDS",
    "Alert",
    "DeploymentError",
    "GateDecision",
    "IncompleteLogWarning",
    "MonitoringJob",
    "Registry",
    "RegistryError",
    "UnwatchedVersionError",
    "compare_versions",
    "current_server",
    "deploy",
    "labelled_log",
    "promotion_gate",
    "retrain",
    "rollback",
    "seasonal_reference",
    "undeploy",
]
