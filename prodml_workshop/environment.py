"""Moved: the set-up check is now ``setup_check``, and ``free_port`` is in ``serving.ports``.

Only ``free_port`` is still found here, until ``serving/launcher.py`` and
``tests/test_serving_bento.py`` import it from :mod:`prodml_workshop.serving.ports`; then this
module goes. It is looked up on first use, because the serving package imports this module
while it is itself being imported.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "free_port":
        from prodml_workshop.serving.ports import free_port

        return free_port
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
