"""Prediction drift: has the distribution of the model's *outputs* moved since the reference?

No label is needed: the model's answers are in the prediction log the day they are given,
whereas the true labels may take weeks to come back, or never come. A classifier that answers
``rain`` every day, or a regressor whose values all moved up, shows it in its outputs at once.

The reference outputs are the predictions stored with the package's reference sample
(:func:`~prodml_workshop.packaging.save_reference`), row for row: :func:`reference_predictions`
reads them back beside the sample, so that a monitoring job can pick the same weeks of the year
from both. :func:`detect_prediction_drift` compares them with the current outputs with the
statistic :func:`~.data_drift.detect_data_drift` would choose for one column. Labels (strings,
integers, booleans) are categories: chi-square, or the two-proportion Z-test for two labels, on
a small reference; a label the reference never had makes the p-value 0. Floats are values:
Kolmogorov-Smirnov on a small reference.

Examples
--------
>>> detect_prediction_drift(["sun", "fog"] * 50, ["rain"] * 7).drifted_columns
['prediction']
>>> detect_prediction_drift(["sun", "fog"] * 50, ["sun", "fog", "sun"]).drifted_columns
[]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from prodml_workshop.packaging import read_reference

from .data_drift import DataDriftResult, detect_data_drift
from .errors import DriftInputError

__all__ = ["PREDICTION", "detect_prediction_drift", "reference_predictions"]

#: The name of the compared column, in the result's table.
PREDICTION = "prediction"


def reference_predictions(package_path: str | Path) -> pd.DataFrame:
    """Return a package's reference sample with the predictions stored for it.

    Parameters
    ----------
    package_path : str or pathlib.Path
        A model package with a reference (see
        :func:`~prodml_workshop.packaging.save_reference`).

    Returns
    -------
    pandas.DataFrame
        The reference sample (every column it was stored with, e.g. a day column) and a
        :data:`PREDICTION` column: the label or value the model gave each row when the
        package was made.

    Raises
    ------
    FileNotFoundError
        If the package stores no reference sample.
    InvalidReferenceError
        If the stored sample was scored with another artifact than the package's.

    Examples
    --------
    >>> reference_predictions("models/weather-v1")["prediction"].value_counts()  # doctest: +SKIP
    prediction
    sun    287
    fog     78
    Name: count, dtype: int64
    """
    stored = read_reference(package_path)
    if stored is None:
        raise FileNotFoundError(
            f"{package_path} stores no reference predictions; run "
            "save_reference(package, sample) on it first."
        )
    sample, meta = stored
    return sample.assign(**{PREDICTION: meta["prediction"]})


def _as_column(values: Any, side: str) -> pd.Series:
    column = pd.Series(values.tolist() if hasattr(values, "tolist") else list(values))
    if column.dropna().empty:
        raise DriftInputError(f"The {side} predictions are empty: nothing to compare.")
    return column


def detect_prediction_drift(
    reference: Any, current: Any, *, threshold: float | None = None
) -> DataDriftResult:
    """Compare the distribution of current predictions with the reference predictions.

    Parameters
    ----------
    reference : array-like
        The predictions of the reference sample (labels or values), e.g. the
        :data:`PREDICTION` column of :func:`reference_predictions`.
    current : array-like
        The predictions to check, e.g. a week of the prediction log's outputs.
    threshold : float, default=None
        The statistic's threshold (a p-value, for the tests chosen on a small reference);
        Evidently's default for that statistic when ``None``.

    Returns
    -------
    DataDriftResult
        One row, :data:`PREDICTION`: the statistic chosen (``chisquare`` or ``z`` for labels,
        ``ks`` or ``wasserstein`` for values), its value and whether it drifted;
        ``dataset_drift`` says the same.

    Raises
    ------
    DriftInputError
        If a side is empty or holds only missing values.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> values = rng.normal(20, 5, 300)  # a regressor's outputs
    >>> detect_prediction_drift(values, values[:50] + 10).table[["test", "drifted"]]
      test  drifted
    0   ks     True
    """
    reference, current = _as_column(reference, "reference"), _as_column(current, "current")
    kind = "numerical" if pd.api.types.is_float_dtype(reference) else "categorical"
    return detect_data_drift(
        pd.DataFrame({PREDICTION: reference}),
        pd.DataFrame({PREDICTION: current}),
        column_types={PREDICTION: kind},
        threshold=threshold,
        drift_share=1.0,
    )
