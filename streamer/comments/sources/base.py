"""What every comment source shares: the `CommentSource` shape, its `SourceStatus`, reconnect `Backoff` and
`redact_url`.

A source is an object with ``stream()``, an async generator of `Comment` that runs until the source ends (the live
chat closed) or the consumer stops iterating. Sources reconnect by themselves on network errors, waiting longer each
time (`Backoff`), and reset the wait once a connection has delivered something. A source that keeps a ``status``
(`SourceStatus`: connected now, connections made, the last error it recovered from) has it shown in the stream's
health; the intake (streamer/comments/intake.py) reports what it sees itself for sources without one. The intake
starts a source that ended or raised again, with backoff, unless it says its end is final (``finite = True``: a file
replay).

Source URLs may carry secrets (``irc://nick:TOKEN@host``, ``?key=...``): `redact_url` is how one is logged or shown.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..model import Comment

__all__ = ["MASK", "Backoff", "CommentSource", "Sleep", "SourceStatus", "is_secret_name", "redact_url"]

MASK = "***"
_SECRET_NAME = re.compile(r"key|token|secret|pass|sig|auth|credential", re.IGNORECASE)

Sleep = Callable[[float], Awaitable[None]]


class CommentSource(Protocol):
    def stream(self) -> AsyncIterator[Comment]: ...


@dataclass(slots=True)
class SourceStatus:
    """A source's link as it knows it. ``last_error`` is a short reason for people: never a secret in it."""

    connected: bool = False
    connections: int = 0
    last_error: str | None = None

    def up(self) -> None:
        self.connected = True
        self.connections += 1

    def down(self, error: str | None = None) -> None:
        self.connected = False
        if error is not None:
            self.last_error = error


def is_secret_name(name: str) -> bool:
    """Whether a setting or query parameter named ``name`` holds a secret (a key, token, password, signature)."""
    return bool(_SECRET_NAME.search(name))


def redact_url(url: str) -> str:
    """``url`` as it may be logged or shown: the password and secret query values (``key``, ``token``...) masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK  # cannot tell where the secret is in it
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{hostport}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if netloc == parts.netloc and not any(is_secret_name(k) for k, _ in pairs):
        return url  # nothing secret in it: shown as written
    query = urlencode([(k, MASK if is_secret_name(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Backoff:
    """Exponential reconnect delays with jitter: ``initial_s``, doubled per failure, capped at ``max_s``.

    Jitter (up to ``jitter`` of the delay) keeps many sessions from reconnecting to one server in lockstep.
    """

    def __init__(self, initial_s: float = 1.0, max_s: float = 60.0, jitter: float = 0.2,
                 sleep: Sleep = asyncio.sleep, rng: random.Random | None = None) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.jitter = jitter
        self.failures = 0
        self._sleep = sleep
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        base = min(self.max_s, self.initial_s * (2 ** self.failures))
        self.failures += 1
        return base * (1 + self.jitter * self._rng.random())

    async def wait(self) -> float:
        delay = self.next_delay()
        await self._sleep(delay)
        return delay

    def reset(self) -> None:
        self.failures = 0
