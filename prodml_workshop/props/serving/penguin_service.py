"""A penguin classifier as a BentoML service, in one screen (notebook 02 shows and serves it).

``bentoml serve prodml_workshop.props.serving.penguin_service:PenguinClassifier`` serves the
model stored as ``penguins`` in BentoML's model store (see :func:`.store_model`). The course's
full service, for any model package, is :mod:`prodml_workshop.serving.service`.
"""

import bentoml
import numpy as np
import pandas as pd
from pydantic import BaseModel

from prodml_workshop.packaging import load_model


class Penguin(BaseModel):
    """One penguin, in the order of the model's features; ``null`` is a missing value."""

    island: str
    bill_length_mm: float | None
    bill_depth_mm: float | None
    flipper_length_mm: float | None
    body_mass_g: float | None
    sex: str | None


@bentoml.service(traffic={"timeout": 10})
class PenguinClassifier:
    """The species of penguins, predicted by the model package stored as ``penguins``."""

    stored = bentoml.models.BentoModel("penguins:latest")  # `bentoml build` packs it

    def __init__(self) -> None:
        self.model = load_model(self.stored.path)  # once per worker, not per request

    @bentoml.api
    def predict(self, penguins: list[Penguin]) -> list[str]:
        """Predict the species of each penguin, in order."""
        frame = pd.DataFrame([penguin.model_dump() for penguin in penguins])
        frame = frame.where(frame.notna(), np.nan)  # JSON null -> NaN, which the model imputes
        return self.model.predict(frame).tolist()
