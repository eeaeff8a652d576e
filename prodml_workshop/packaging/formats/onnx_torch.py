"""A PyTorch module as an ONNX graph: exported with ``torch.onnx.export``, run with onnxruntime.

The exporter (``dynamo=True``, the default since PyTorch 2.9; it needs ``onnxscript``) traces
the module in eval mode on ``sample_input`` with a free batch dimension, and records the
graph: one float32 input ``X`` of shape ``(n_samples, n_features)`` and one output, the logits
(classification) or values (regression). The graph holds the architecture as well as the
weights, so loading it needs neither the module's class nor ``init_kwargs``, and readers exist
outside Python. Probabilities are the softmax of the logits, as for the module itself.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UnsupportedFormatError
from ..predictors import LogitsPredictor, to_float_array

__all__ = ["OnnxModulePredictor", "export_module"]

_INPUT = "X"
_OUTPUT = "output"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporter's progress lines, warnings and log messages."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def export_module(module: Any, file: Path, sample_input: Any) -> None:
    """Export a PyTorch module to an ONNX file with a free batch dimension.

    Parameters
    ----------
    module : torch.nn.Module
        A module taking a float32 batch ``(n_samples, n_features)``.
    file : pathlib.Path
        Where the graph is written.
    sample_input : numpy.ndarray or pandas.DataFrame
        A few rows of features, traced through the module.

    Raises
    ------
    UnsupportedFormatError
        If the exporter cannot trace or translate the module.
    """
    import torch

    sample = torch.from_numpy(to_float_array(sample_input))
    if len(sample) < 2:
        # A batch of one would be specialised to size 1; any rows will do for tracing.
        sample = sample.repeat(2, 1)
    was_training = module.training
    module.eval()
    try:
        with _quiet():
            program = torch.onnx.export(
                module,
                (sample,),
                None,
                dynamo=True,
                input_names=[_INPUT],
                output_names=[_OUTPUT],
                dynamic_shapes=({0: torch.export.Dim("batch")},),
            )
    except Exception as exc:  # the exporter raises many types; each means "cannot export"
        raise UnsupportedFormatError(
            f"torch.onnx.export cannot export {type(module).__name__}: "
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"
        ) from exc
    finally:
        module.train(was_training)
    file.write_bytes(program.model_proto.SerializeToString())


class OnnxModulePredictor(LogitsPredictor):
    """Predict with an ONNX graph exported from a PyTorch module.

    Parameters
    ----------
    session : onnxruntime.InferenceSession
        The loaded graph: float input ``(n_samples, n_features)``, one output.
    task : {"classification", "regression"}
        What the module predicts: one logit per class, or one value.
    classes : list, default=None
        Class labels in the order of the logits (classification only).
    """

    def __init__(self, session: Any, task: str, classes: list[Any] | None = None) -> None:
        super().__init__(task, classes)
        self.session = session
        self._input = session.get_inputs()[0].name

    def logits(self, X: Any) -> np.ndarray:
        """Return the graph's output, shape ``(n_samples, n_outputs)``."""
        return self.session.run(None, {self._input: to_float_array(X)})[0]
