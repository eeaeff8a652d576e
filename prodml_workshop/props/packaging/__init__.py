"""The packaging lecture's props: a big model and load timings, a standard read elsewhere, memory.

:mod:`.demo` trains the course's small network, makes a model big enough to time and reads a
safetensors header; :mod:`.interchange` scores an ONNX file in a process that imports only
numpy and onnxruntime, and compares float32 with float64; :mod:`.load_memory` measures what
loading each format costs in memory (its function :func:`.load_memory.load_memory` is not
re-exported here, where the name is the module's).
"""

from .demo import big_model, plot_formats, safetensors_header, time_loads, train_penguin_net
from .interchange import OtherProcessScore, onnx_feeds, onnx_precision, score_onnx_elsewhere
from .load_memory import (
    describe_memory_columns,
    joblib_vs_pickle,
    memory_split_available,
    weights_memory,
)

__all__ = [
    "OtherProcessScore",
    "big_model",
    "describe_memory_columns",
    "joblib_vs_pickle",
    "memory_split_available",
    "onnx_feeds",
    "onnx_precision",
    "plot_formats",
    "safetensors_header",
    "score_onnx_elsewhere",
    "time_loads",
    "train_penguin_net",
    "weights_memory",
]
