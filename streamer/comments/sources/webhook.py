"""A generic signed JSON webhook: any collector, bot or platform glue can POST comments to a stream.

The body is what the service's own API takes (`CommentPayload`): one object or a list, ``{"id", "user", "text"}``
at least, plus ``kind``, ``gift``, ``count``, ``user_id``, ``time`` as needed; ``platform`` defaults to the URL's.
Give every comment an ``id``: a sender that retries repeats it, and the intake drops the repeat.

Signing, in the style of Stripe's and Slack's webhooks::

    X-Timestamp: 1717000000                      (Unix seconds, when the request was signed)
    X-Signature: sha256=<hex HMAC-SHA256(secret, X-Timestamp + "." + body)>

The timestamp is inside the signature: a timestamp that is only checked, not signed, can be rewritten by whoever
replays a captured request. A timestamp more than ``MAX_SKEW_S`` from our clock is refused (401) however well
signed, so a captured request stops working after five minutes; within them, its ids are dropped as repeats.
Missing or wrong signatures answer 401, a body that is not comments 400; 200 otherwise, at once.

URL: ``webhook://[host]:port/path[?platform=NAME]`` (no host: every interface); secret in
``STREAMER_WEBHOOK_SECRET``; TLS with ``STREAMER_WEBHOOK_TLS_CERT`` and ``STREAMER_WEBHOOK_TLS_KEY`` (file paths).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl

from ...errors import ConfigError
from ..model import Comment, CommentError
from .base import CommentSource
from .payload import parse_payloads
from .push import PushRejected, PushSource, listen_address, tls_context

__all__ = ["MAX_SKEW_S", "WebhookSource", "parse_url", "sign"]

MAX_SKEW_S = 300.0
_PLATFORM = re.compile(r"[a-z0-9_-]{1,32}")
_SECRET_ENV = "STREAMER_WEBHOOK_SECRET"
_HELP = "webhook://[host]:port/path[?platform=NAME]"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Signature`` value for ``body`` sent at ``timestamp`` (what a sender computes)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSource(PushSource):
    """Receives signed comment POSTs on ``host:port`` at ``path``. ``clock``: Unix seconds, for the replay window."""

    def __init__(self, host: str, port: int, path: str | None = None, *, secret: str, platform: str = "webhook",
                 clock: Callable[[], float] = time.time, **kw: Any) -> None:
        super().__init__(host, port, path, **kw)
        if not secret:
            raise ConfigError(f"a webhook source needs its signing secret: set {_SECRET_ENV}")
        self._secret = secret
        self.platform = platform
        self._clock = clock

    def accept(self, headers: Mapping[str, str], body: bytes) -> list[Comment]:
        stamp, given = headers.get("x-timestamp", ""), headers.get("x-signature", "")
        if not stamp or not given:
            raise PushRejected(401, "unsigned: X-Timestamp and X-Signature needed")
        if not hmac.compare_digest(sign(self._secret, stamp, body).encode(), given.encode()):
            raise PushRejected(401, "X-Signature does not match")
        try:
            skew = abs(self._clock() - float(stamp))
        except ValueError:
            raise PushRejected(401, "X-Timestamp is not Unix seconds") from None
        if not skew <= MAX_SKEW_S:  # also refuses nan
            raise PushRejected(401, f"X-Timestamp is {skew:.0f} s away from our clock (at most {MAX_SKEW_S:.0f})")
        try:
            obj = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise PushRejected(400, "body is not JSON") from None
        items = obj if isinstance(obj, list) else [obj]
        try:
            return parse_payloads([{"platform": self.platform, **i} if isinstance(i, dict) else i for i in items])
        except CommentError as e:
            raise PushRejected(400, str(e)) from None


def parse_url(parts: SplitResult) -> Callable[[Mapping[str, str]], CommentSource]:
    """The intake's parser for ``webhook://``: checks the URL now, reads the secret when the source opens."""
    host, port, path = listen_address(parts, _HELP)
    if path is None:
        raise ValueError(f"no path ({_HELP})")
    platform = dict(parse_qsl(parts.query)).get("platform", "webhook")
    if not _PLATFORM.fullmatch(platform):
        raise ValueError(f"platform must be a short lowercase name, got {platform!r}")

    def build(env: Mapping[str, str]) -> CommentSource:
        return WebhookSource(host, port, path, secret=env.get(_SECRET_ENV, ""), platform=platform,
                             tls=tls_context(env.get("STREAMER_WEBHOOK_TLS_CERT"),
                                             env.get("STREAMER_WEBHOOK_TLS_KEY")))
    return build
