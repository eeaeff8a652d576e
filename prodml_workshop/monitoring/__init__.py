"""Monitoring a model in production: data drift, concept drift and technical drift.

*Data drift*: the inputs' distribution moves (:func:`detect_data_drift`, one statistic per
column chosen as Evidently's ``DataDriftPreset`` does, and the statistics themselves).
*Concept drift*: the model's performance moves, seen from labelled feedback
(:func:`performance_by_window`, :class:`PageHinkley`, :func:`detect_change`).
*Technical drift*: the environment moves under a saved model (:func:`technical_drift`).
*Data quality*: records outside the reference's ranges or categories, or missing where it never
was (:func:`quality_issues`). The reference, its profile and the quality rule belong to the
model package, which stores them (:func:`save_reference`, :func:`read_profile`,
:func:`feature_profile`: the same functions as in :mod:`prodml_workshop.packaging`, named here
too as the monitoring session uses them). *Prediction drift*: the
outputs' distribution moves, no label needed (:func:`detect_prediction_drift` against
:func:`reference_predictions`). :func:`logged_inputs` reads
what production saw from the serving session's prediction log. The lecture's props (drift
cases, plots, Evidently's verdicts beside ours) are in :mod:`prodml_workshop.props.monitoring`.

Examples
--------
>>> from prodml_workshop.data import load_seattle_weather
>>> from prodml_workshop.monitoring import detect_data_drift
>>> weather = load_seattle_weather()
>>> detect_data_drift(weather[:365], weather[-365:])  # 2012 against 2015
DataDriftResult(dataset_drift=True, drifted=3/5, columns=['temp_max', 'temp_min', 'weather'])
"""

from prodml_workshop.packaging import (
    feature_profile,
    quality_issues,
    quality_reasons,
    read_profile,
    save_reference,
)

from .column_choice import default_test, infer_column_type
from .concept_drift import ChangeDetector, PageHinkley, detect_change, performance_by_window
from .data_drift import DataDriftResult, detect_data_drift
from .errors import DriftInputError
from .prediction_drift import detect_prediction_drift, reference_predictions
from .served_inputs import logged_inputs
from .statistics import (
    STAT_TESTS,
    StatTest,
    chi_square_pvalue,
    jensen_shannon_distance,
    ks_pvalue,
    psi,
    wasserstein_normed,
    z_test_pvalue,
)
from .technical_drift import TechnicalDriftReport, technical_drift

__all__ = [
    "STAT_TESTS",
    "ChangeDetector",
    "DataDriftResult",
    "DriftInputError",
    "PageHinkley",
    "StatTest",
    "TechnicalDriftReport",
    "chi_square_pvalue",
    "default_test",
    "detect_change",
    "detect_data_drift",
    "detect_prediction_drift",
    "feature_profile",
    "infer_column_type",
    "jensen_shannon_distance",
    "ks_pvalue",
    "logged_inputs",
    "performance_by_window",
    "psi",
    "quality_issues",
    "quality_reasons",
    "read_profile",
    "reference_predictions",
    "save_reference",
    "technical_drift",
    "wasserstein_normed",
    "z_test_pvalue",
]
