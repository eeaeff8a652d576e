"""PyTorch modules of the course, in installed code so that saved weights can be rebuilt."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PenguinNet"]


class PenguinNet(nn.Module):
    """A small multi-layer perceptron for tabular features.

    Parameters
    ----------
    n_features : int
        Number of input features (numeric, already imputed and scaled).
    n_outputs : int
        Number of classes (the module returns one logit per class), or 1 for regression.
    hidden : int, default=16
        Width of the two hidden layers.

    Examples
    --------
    >>> import torch
    >>> net = PenguinNet(n_features=4, n_outputs=3)
    >>> net(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_features: int, n_outputs: int, hidden: int = 16) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_outputs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the logits (or values), shape ``(n_samples, n_outputs)``."""
        return self.layers(x)
