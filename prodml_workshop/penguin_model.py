"""The course's model: a species classifier for the penguins, unfitted, and its column lists.

Every session uses it: packaging saves it, serving serves it (the default model), scaling
loads it under load and monitoring watches it. It needs scikit-learn only, so what imports it
(the service included) does not import torch.

Examples
--------
>>> from prodml_workshop.penguin_model import penguin_pipeline
>>> [name for name, _ in penguin_pipeline().steps]
['preprocess', 'classify']
"""

from __future__ import annotations

from typing import Any

__all__ = ["CATEGORICAL", "NUMERIC", "penguin_pipeline"]

#: Numeric columns of :data:`~prodml_workshop.data.PENGUIN_FEATURES`.
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
#: Text columns of :data:`~prodml_workshop.data.PENGUIN_FEATURES`; ``sex`` has missing values.
CATEGORICAL = ["island", "sex"]


def penguin_pipeline() -> Any:
    """Return the course's unfitted species classifier for ``PENGUIN_FEATURES``.

    Numeric columns are imputed with their mean and standardised; text columns are imputed
    with their most frequent value and one-hot encoded; a logistic regression predicts the
    species. Both kinds of column have missing values in the penguin data.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``preprocess`` (a ``ColumnTransformer`` with parts ``num`` and ``cat``) and
        ``classify``.

    Examples
    --------
    >>> from prodml_workshop.data import PENGUIN_FEATURES, load_penguins
    >>> penguins = load_penguins()
    >>> model = penguin_pipeline().fit(penguins[PENGUIN_FEATURES], penguins["species"])
    >>> list(model.classes_)
    ['Adelie', 'Chinstrap', 'Gentoo']
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    preprocess = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                CATEGORICAL,
            ),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("classify", LogisticRegression(max_iter=1000))])
