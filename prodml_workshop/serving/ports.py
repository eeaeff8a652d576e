"""Ports on this machine: where the servers of the course listen."""

from __future__ import annotations

import socket

__all__ = ["free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now (the OS picks it).

    Parameters
    ----------
    host : str, default="127.0.0.1"
        The address the port is for.

    Returns
    -------
    int
        A port nobody listens on; another process may take it before you do, so bind it soon.

    Examples
    --------
    >>> 1024 <= free_port() <= 65535
    True
    """
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
