"""How the service checks data quality and uses a second model: its settings and its routing.

Four environment variables, read when the service starts (an unknown value ends
``bentoml serve`` at once, naming it):

========================= =================================================================
``PRODML_QUALITY``        ``log`` (default): answer every record and write the features out
                          of the package's reference range, or unseen, in the log's
                          ``quality`` column; ``refuse``: answer such a request 422 naming
                          them (see :mod:`prodml_workshop.packaging.reference_profile`)
``PRODML_SHADOW_DIR``     a second package that scores every request too; the client gets
                          only the served model's answer, the log both (``role`` 'served'
                          and 'shadow', same request id)
``PRODML_CANARY_DIR``     a second package that answers a share of the requests instead
``PRODML_CANARY_SHARE``   that share, from 0 to 1 (required with ``PRODML_CANARY_DIR``)
========================= =================================================================

One second model at a time: shadow or canary. Both models live in the same worker (one
process, two small models), not in two servers.

Which requests go to the canary? A request's id decides, through a stable hash
(:func:`canary_bucket`, SHA-256, the same in every process and every run, unlike Python's
salted ``hash()``). The id is the client's ``X-Request-ID`` header when it sends a short
token, else a new UUID per request (see :mod:`.middleware`). So a client that sends its own
id (a user's, a session's) always gets the same version; requests without one are split at
random, in the share asked for. A request is the unit: all its records go to one model.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MODEL_VERSION_HEADER",
    "QUALITY_POLICIES",
    "Rollout",
    "RolloutConfigError",
    "VersionRouter",
    "canary_bucket",
    "rollout_env",
    "rollout_from_env",
]

#: The response header naming the model version that answered.
MODEL_VERSION_HEADER = "X-Model-Version"
#: The values of ``PRODML_QUALITY``: what the service does with a record out of range.
QUALITY_POLICIES = ("log", "refuse")


class RolloutConfigError(ValueError):
    """An environment variable of the service has a value it cannot use; the message says which."""


@dataclass(frozen=True)
class Rollout:
    """The service's data-quality policy and second model, as the environment sets them.

    Attributes
    ----------
    quality : {"log", "refuse"}
        What to do with a record out of its reference range or unseen.
    mode : {"shadow", "canary"} or None
        What the second model does; ``None`` without one.
    second_dir : pathlib.Path or None
        The second model's package.
    share : float
        The share of requests the canary answers (0 for a shadow).
    """

    quality: str = "log"
    mode: str | None = None
    second_dir: Path | None = None
    share: float = 0.0


def canary_bucket(request_id: str) -> float:
    """Return a request id's place in [0, 1), the same in every process and every run.

    Parameters
    ----------
    request_id : str
        The id of the request.

    Returns
    -------
    float
        The first 8 bytes of the id's SHA-256, as a fraction of 2**64. A request goes to
        the canary when this is below the canary's share.

    Examples
    --------
    >>> round(canary_bucket("user-42"), 4)
    0.4279
    >>> canary_bucket("user-42") == canary_bucket("user-42")
    True
    """
    digest = hashlib.sha256(request_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class VersionRouter:
    """Which model version answers a request: the canary's for its share of request ids.

    Parameters
    ----------
    served : str
        The served model's version.
    canary : str or None, default=None
        The canary's version; ``None`` without a canary.
    share : float, default=0.0
        The share of request ids the canary answers.

    Examples
    --------
    >>> router = VersionRouter("skops-aaa", "skops-bbb", share=0.3)
    >>> router.version("user-42"), router.version("user-7")  # buckets 0.43 and 0.04
    ('skops-aaa', 'skops-bbb')
    """

    served: str
    canary: str | None = None
    share: float = 0.0

    def to_canary(self, request_id: str) -> bool:
        """Whether the canary answers the request of this id."""
        return self.canary is not None and canary_bucket(request_id) < self.share

    def version(self, request_id: str) -> str:
        """The version that answers the request of this id."""
        return self.canary if self.to_canary(request_id) else self.served  # type: ignore[return-value]


def _share(text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        share = math.nan
    if not 0 <= share <= 1:
        raise RolloutConfigError(
            f"PRODML_CANARY_SHARE={text!r} is not a share: set it to a number from 0 to 1, "
            "e.g. 0.1 for one request in ten."
        )
    return share


def rollout_from_env(environ: Mapping[str, str] | None = None) -> Rollout:
    """Read the data-quality policy and the second model from the environment.

    Parameters
    ----------
    environ : mapping, default=None
        The variables; ``os.environ`` when ``None``.

    Returns
    -------
    Rollout
        The settings; empty variables count as unset.

    Raises
    ------
    RolloutConfigError
        If ``PRODML_QUALITY`` is not a policy, both a shadow and a canary are set, a canary
        lacks its share (or a share its canary), or the share is not in [0, 1].

    Examples
    --------
    >>> rollout_from_env({"PRODML_CANARY_DIR": "models/v2", "PRODML_CANARY_SHARE": "0.3"})
    Rollout(quality='log', mode='canary', second_dir=PosixPath('models/v2'), share=0.3)
    >>> rollout_from_env({"PRODML_QUALITY": "strict"})
    Traceback (most recent call last):
    ...
    prodml_workshop.serving.rollout.RolloutConfigError: PRODML_QUALITY='strict' is not a ...
    """
    env = os.environ if environ is None else environ
    quality = env.get("PRODML_QUALITY") or "log"
    if quality not in QUALITY_POLICIES:
        raise RolloutConfigError(
            f"PRODML_QUALITY={quality!r} is not a policy: set 'log' (answer, and name the "
            "features out of range in the log; the default) or 'refuse' (answer 422 naming "
            "them)."
        )
    shadow, canary = env.get("PRODML_SHADOW_DIR"), env.get("PRODML_CANARY_DIR")
    share = env.get("PRODML_CANARY_SHARE")
    if shadow and canary:
        raise RolloutConfigError(
            "Both PRODML_SHADOW_DIR and PRODML_CANARY_DIR are set; the service holds one "
            "second model: unset one of them."
        )
    if share and not canary:
        raise RolloutConfigError(
            "PRODML_CANARY_SHARE is set but PRODML_CANARY_DIR is not; set the canary's "
            "package too, or unset the share."
        )
    if canary:
        if not share:
            raise RolloutConfigError(
                "PRODML_CANARY_DIR is set without PRODML_CANARY_SHARE; set the share of "
                "requests the canary answers, from 0 to 1."
            )
        return Rollout(quality, "canary", Path(canary), _share(share))
    if shadow:
        return Rollout(quality, "shadow", Path(shadow))
    return Rollout(quality)


def rollout_env(
    quality: str = "log",
    shadow: str | Path | None = None,
    canary: str | Path | None = None,
    canary_share: float | None = None,
) -> dict[str, str]:
    """Return the environment variables that set these, checked as the service checks them.

    Parameters
    ----------
    quality : {"log", "refuse"}, default="log"
        ``PRODML_QUALITY``.
    shadow, canary : str or pathlib.Path, default=None
        ``PRODML_SHADOW_DIR``, ``PRODML_CANARY_DIR`` (made absolute).
    canary_share : float, default=None
        ``PRODML_CANARY_SHARE``.

    Returns
    -------
    dict of str to str
        All four variables; ``""`` (unset) for those not given, so that the server does not
        inherit them from this process.

    Raises
    ------
    RolloutConfigError
        As :func:`rollout_from_env` would in the server.

    Examples
    --------
    >>> rollout_env(quality="refuse")["PRODML_QUALITY"]
    'refuse'
    >>> rollout_env(canary="models/v2")
    Traceback (most recent call last):
    ...
    prodml_workshop.serving.rollout.RolloutConfigError: PRODML_CANARY_DIR is set without ...
    """

    def folder(path: str | Path | None) -> str:
        return "" if path is None else str(Path(path).expanduser().resolve())

    env = {
        "PRODML_QUALITY": quality,
        "PRODML_SHADOW_DIR": folder(shadow),
        "PRODML_CANARY_DIR": folder(canary),
        "PRODML_CANARY_SHARE": "" if canary_share is None else repr(float(canary_share)),
    }
    rollout_from_env(env)
    return env
