"""Show a verdict, a hint or a solution in the notebook (plain text outside IPython)."""

from __future__ import annotations

import html
import re

__all__ = ["show_code", "show_text"]


def _display(text: str, rich: str, mime: str = "text/html") -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the course
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display({"text/plain": text, mime: rich}, raw=True)
    else:
        print(text)


def show_text(text: str, color: str) -> None:
    """Show one line in bold, in ``color``; text between backticks shows as code.

    Examples
    --------
    >>> show_text("q1: Correct!", "#2e7d32")
    q1: Correct!
    """
    rich = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
    _display(text, f'<p style="color:{color};font-weight:bold">{rich}</p>')


def show_code(title: str, code: str) -> None:
    """Show a block of Python code under a title.

    Examples
    --------
    >>> show_code("q1 solution", "x = 1")
    q1 solution:
    x = 1
    """
    _display(f"{title}:\n{code}", f"**{title}:**\n```python\n{code}\n```", "text/markdown")
