"""The serving lecture's props: cold and warm timings, and what a built Bento holds.

Examples
--------
>>> from prodml_workshop.props.serving import cold_start_cost
>>> cold_start_cost(2.0, [0.01, 0.01])["ratio"]
200.0
"""

from .bento_contents import bento_summary, folder_tree
from .cold_start import cold_start_cost, time_call, time_calls

__all__ = ["bento_summary", "cold_start_cost", "folder_tree", "time_call", "time_calls"]
