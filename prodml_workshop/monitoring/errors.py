"""The errors of the monitoring session: data a drift check cannot compare."""

from __future__ import annotations

__all__ = ["DriftInputError"]


class DriftInputError(ValueError):
    """The data given to a drift check cannot be compared as asked.

    Raised for empty frames, columns missing from one side, columns with no usable value, a
    numeric test asked for a column that is not numeric, and prediction-log rows that are not
    one JSON record. The message names the column (or row) and says what to do.
    """
