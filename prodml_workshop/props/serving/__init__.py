"""The serving lecture's props: a one-screen service, a server's processes, cold and warm timings,
and what a built Bento holds.

Examples
--------
>>> from prodml_workshop.props.serving import cold_start_cost
>>> cold_start_cost(2.0, [0.01, 0.01])["ratio"]
200.0
"""

from .bento_contents import bento_summary, folder_tree
from .cold_start import cold_start_cost, time_call, time_calls
from .penguin_server import SERVICE, process_table, serve_penguin_service, store_model

__all__ = [
    "SERVICE",
    "bento_summary",
    "cold_start_cost",
    "folder_tree",
    "process_table",
    "serve_penguin_service",
    "store_model",
    "time_call",
    "time_calls",
]
