"""Datasets of the course: real data shipped inside installed packages, so nothing is downloaded."""

from __future__ import annotations

import pandas as pd

__all__ = ["PENGUIN_FEATURES", "load_penguins", "load_seattle_weather"]

PENGUIN_FEATURES = [
    "island",
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
    "sex",
]


def load_penguins() -> pd.DataFrame:
    """Load the Palmer penguins, 344 rows with numeric and categorical columns and missing values.

    Returns
    -------
    pandas.DataFrame
        Columns ``species`` (the usual target), ``island``, ``bill_length_mm``, ``bill_depth_mm``,
        ``flipper_length_mm``, ``body_mass_g``, ``sex`` and ``year``. Missing values are ``NaN``.

    Examples
    --------
    >>> from prodml_workshop.data import load_penguins
    >>> load_penguins().shape
    (344, 8)
    """
    from palmerpenguins import load_penguins as _load

    return _load()


def load_seattle_weather() -> pd.DataFrame:
    """Load the daily Seattle weather of 2012-2015, in time order (a natural source of drift).

    Returns
    -------
    pandas.DataFrame
        1461 rows with ``date`` (datetime64), ``precipitation``, ``temp_max``, ``temp_min``,
        ``wind`` and ``weather`` (a category such as ``"rain"`` or ``"sun"``), sorted by date.

    Examples
    --------
    >>> from prodml_workshop.data import load_seattle_weather
    >>> load_seattle_weather()["date"].is_monotonic_increasing
    True
    """
    from vega_datasets import local_data

    return local_data.seattle_weather().sort_values("date", ignore_index=True)
