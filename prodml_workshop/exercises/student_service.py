"""Serve a student's BentoML service file for a check, and judge what it answers.

The plumbing of the questions whose answer is a service file (``02_serving`` q3 and
``03_scaling`` q2): :func:`serve_service_file` serves any service file with ``bentoml serve``
for the time of a ``with`` block, under the watchdog of
:func:`~prodml_workshop.serving.serve`; :func:`serve_student_service` turns a failed start
into a verdict (the build's stub is not attempted, any other failure is incorrect, with the
reason from the server's log); :func:`check_square` checks the ``POST /square`` endpoint both
questions ask for.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prodml_workshop.exercises.core import Incorrect, NotAttempted, assert_close
from prodml_workshop.serving import ServerStartError, WatchedServer
from prodml_workshop.serving.ports import free_port

__all__ = ["check_square", "serve_service_file", "serve_student_service"]

_NOT_ATTEMPTED = "your code here"  # the message of the stub the build writes


@contextlib.contextmanager
def serve_service_file(service_file: str | Path, *, timeout: float = 60.0) -> Iterator[str]:
    """Serve any BentoML service file with ``bentoml serve`` for the time of a ``with`` block.

    The server runs under the same watchdog as :func:`~prodml_workshop.serving.serve`, so it
    stops with the block, or with this process however it ends.

    Parameters
    ----------
    service_file : str or pathlib.Path
        A Python file defining one ``@bentoml.service`` class; its folder is the working folder.
    timeout : float, default=60.0
        Seconds to wait for ``GET /readyz`` to answer 200.

    Yields
    ------
    str
        The server's URL, e.g. ``"http://127.0.0.1:50123"``.

    Raises
    ------
    ServerStartError
        If the server exits before it is ready (e.g. the file does not import), or is not
        ready in time; the message ends with the server's log.

    Examples
    --------
    >>> with serve_service_file("my_service.py") as url:  # doctest: +SKIP
    ...     requests.post(f"{url}/hello", json={"name": "Ada"}).text
    'Hello, Ada!'
    """
    path = Path(service_file).resolve()
    port = free_port()
    command = [
        sys.executable, "-m", "bentoml", "serve", path.stem, "--working-dir", str(path.parent),
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with WatchedServer(command, host="127.0.0.1", port=port, grace=5.0, cwd=path.parent) as server:
        server.wait_until_ready(timeout)
        yield server.url


def _server_problem(log: str) -> str:
    lines = [line for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["(no log)"])[-1].strip()


@contextlib.contextmanager
def serve_student_service(service_file: Any) -> Iterator[str]:
    """Serve a student's service file for a check, and judge a failed start.

    A file still holding the build's stub counts as not attempted; one that does not serve
    is incorrect, with the reason read from the server's log.

    Parameters
    ----------
    service_file : path-like
        The file the student wrote with ``%%writefile``.

    Yields
    ------
    str
        The server's URL.

    Raises
    ------
    NotAttempted
        If the service still raises the stub's ``NotImplementedError``.
    Incorrect
        If there is no such file or ``bentoml serve`` cannot serve it.
    """
    if isinstance(service_file, str) and ("\n" in service_file or len(service_file) > 255):
        raise Incorrect(
            "`service_file` holds the code itself: put the path of the file in it (the file "
            "the %%writefile cell writes), not its content."
        )
    if not isinstance(service_file, str | Path):
        raise Incorrect(
            f"`service_file` should be the path of the file, got {type(service_file).__name__}."
        )
    path = Path(service_file)
    if not path.is_file():
        raise Incorrect(f"there is no file at {str(path)!r}: run the %%writefile cell.")
    try:
        with serve_service_file(path) as url:
            yield url
    except ServerStartError as err:
        if f"NotImplementedError: {_NOT_ATTEMPTED}" in str(err):
            raise NotAttempted("the service still raises NotImplementedError.") from None
        raise Incorrect(
            f"`bentoml serve` could not serve {path.name}: {_server_problem(str(err))}"
        ) from None


def check_square(url: str, numbers: list[float], missing: str) -> None:
    """Check that ``POST /square`` of a student's service squares ``numbers``.

    Parameters
    ----------
    url : str
        The server's URL.
    numbers : list of float
        The request's ``numbers``.
    missing : str
        What to tell the student when the endpoint does not exist.

    Raises
    ------
    Incorrect
        Naming the request and what it answered.
    """
    import requests

    response = requests.post(f"{url}/square", json={"numbers": numbers}, timeout=30)
    if response.status_code == 404:
        raise Incorrect(f"the service has no POST /square: {missing}")
    if response.status_code != 200:
        raise Incorrect(
            f'POST /square {{"numbers": {numbers}}} answered '
            f"{response.status_code}: {response.text[:300]}"
        )
    assert_close(response.json(), [x * x for x in numbers], what=f"POST /square of {numbers}")
