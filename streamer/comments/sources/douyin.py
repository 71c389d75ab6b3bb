"""Douyin's official live data push (抖音开放平台 直播小玩法 数据推送): the platform POSTs a room's comments, gifts,
likes and fan-club joins to a URL the developer registered, and this source is that URL.

Why this route: it is the only official one. Douyin offers no public chat API for a room; the unofficial grabbers
(the bridge source) break whenever the web client changes. The push needs a Douyin open platform app of the
interactive-live type, its push secret, and a push task started for the room (``/api/live_data/task/start`` with
the app's access token), which the app's launcher does; this source only receives.

Each delivery, as Douyin documents it:

* headers ``x-roomid``, ``x-msg-type`` (``live_comment``, ``live_gift``, ``live_like``, ``live_fansclub``),
  ``x-nonce-str``, ``x-timestamp`` and ``x-signature``;
* body: a JSON array of messages, each with ``msg_id``, ``sec_openid``, ``nickname``, ``avatar_url``,
  ``timestamp`` and per type ``content`` (comment), ``sec_gift_id``/``gift_num``/``gift_value`` (gift),
  ``like_num`` (like), ``fansclub_reason_type``/``fansclub_level`` (fan club);
* signature: ``x-signature = base64(md5(P + body + secret))`` where ``P`` is the four headers ``x-msg-type``,
  ``x-nonce-str``, ``x-roomid``, ``x-timestamp`` as ``name=value`` sorted by name and joined with ``&``, and
  ``body`` the raw bytes received. `signature` reproduces the documentation's example (headers nonce 123456,
  timestamp 456789, room 268, type live_gift; body ``abc123你好``; secret ``123abc`` -> ``PDcKhdlsrKEJif6uMKD2dw==``).

A delivery without the headers or with a wrong signature is answered 401 and dropped; a valid one is answered 200
at once (Douyin retries a push that is not answered 200 within 2 seconds; the retry repeats the ``msg_id``, and the
intake drops repeats). With ``room`` set, deliveries for other rooms of the same app are answered 200 and dropped.

URL: ``douyin-push://[host]:port[/path][?room=ROOM_ID]``; secret in ``STREAMER_DOUYIN_PUSH_SECRET`` (one per message
type, when the console gives several, in ``STREAMER_DOUYIN_PUSH_SECRET_COMMENT`` / ``_GIFT`` / ``_LIKE`` /
``_FANSCLUB``). Douyin calls HTTPS URLs only: terminate TLS in a proxy, or give ``STREAMER_DOUYIN_TLS_CERT`` and
``STREAMER_DOUYIN_TLS_KEY`` (file paths).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl

from ...errors import ConfigError
from ..model import Comment, CommentKind
from .base import CommentSource
from .push import PushRejected, PushSource, listen_address, tls_context

__all__ = ["MSG_KINDS", "SIGNED_HEADERS", "DouyinPush", "comments_from_push", "parse_url", "signature"]

SIGNED_HEADERS = ("x-msg-type", "x-nonce-str", "x-roomid", "x-timestamp")
MSG_KINDS = {"live_comment": CommentKind.CHAT, "live_gift": CommentKind.GIFT, "live_like": CommentKind.LIKE,
             "live_fansclub": CommentKind.FOLLOW}
_SECRET_ENV = "STREAMER_DOUYIN_PUSH_SECRET"
_HELP = "douyin-push://[host]:port[/path][?room=ROOM_ID]"


def signature(headers: Mapping[str, str], body: bytes, secret: str) -> str:
    """Douyin's ``x-signature`` for a delivery (see the module docstring for the rule and its test vector)."""
    signed = "&".join(f"{name}={headers.get(name, '')}" for name in sorted(SIGNED_HEADERS))
    return base64.b64encode(hashlib.md5(signed.encode() + body + secret.encode()).digest()).decode()


def _int(v: Any) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 1


def _time(v: Any) -> float:
    try:
        t = float(v)
    except (TypeError, ValueError):
        return time.time()
    return t / 1000.0 if t > 1e11 else t  # Douyin's timestamps are milliseconds


def comments_from_push(msg_type: str, body: bytes) -> list[Comment]:
    """The comments in one delivery's body; an unknown message type has none. ValueError for a body that is not
    Douyin's JSON array of messages."""
    kind = MSG_KINDS.get(msg_type)
    try:
        items = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError("body is not JSON") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("body must be a JSON array of messages")
    if kind is None:
        return []
    out = []
    for item in items:
        text, gift, count = "", "", 1
        if kind is CommentKind.CHAT:
            text = str(item.get("content") or "")
        elif kind is CommentKind.GIFT:
            gift, count = str(item.get("sec_gift_id") or "gift"), _int(item.get("gift_num"))
        elif kind is CommentKind.LIKE:
            count = _int(item.get("like_num"))
        out.append(Comment(text=text, user=str(item.get("nickname") or ""), user_id=str(item.get("sec_openid") or ""),
                           platform="douyin", kind=kind, time=_time(item.get("timestamp")),
                           id=str(item.get("msg_id") or ""), gift=gift, count=count))
    return out


class DouyinPush(PushSource):
    """Receives Douyin's live data push on ``host:port``. ``secrets``: push secret per ``x-msg-type``; ``secret``
    for the types not in it."""

    platform = "douyin"
    ok_body = {"err_no": 0, "err_msg": "success"}

    def __init__(self, host: str, port: int, path: str | None = None, *, secret: str = "",
                 secrets: Mapping[str, str] | None = None, room: str | None = None, **kw: Any) -> None:
        super().__init__(host, port, path, **kw)
        self._secrets = dict(secrets or {})
        self._secret = secret
        if not secret and not self._secrets:
            raise ConfigError(f"a Douyin push source needs its push secret: set {_SECRET_ENV}")
        self.room = room

    def accept(self, headers: Mapping[str, str], body: bytes) -> list[Comment]:
        given = headers.get("x-signature", "")
        if not given or any(name not in headers for name in SIGNED_HEADERS):
            raise PushRejected(401, "unsigned: x-signature, x-msg-type, x-nonce-str, x-roomid, x-timestamp needed")
        msg_type = headers["x-msg-type"]
        secret = self._secrets.get(msg_type, self._secret)
        if not secret or not hmac.compare_digest(signature(headers, body, secret).encode(), given.encode()):
            raise PushRejected(401, f"x-signature does not match ({msg_type})")
        if self.room is not None and headers["x-roomid"] != self.room:
            return []
        try:
            return comments_from_push(msg_type, body)
        except ValueError as e:
            raise PushRejected(400, str(e)) from None


def parse_url(parts: SplitResult) -> Callable[[Mapping[str, str]], CommentSource]:
    """The intake's parser for ``douyin-push://``: checks the URL now, reads the secrets when the source opens."""
    host, port, path = listen_address(parts, _HELP)
    query = dict(parse_qsl(parts.query))
    room = query.get("room")
    if room is not None and not room.isdigit():
        raise ValueError(f"room must be Douyin's numeric room id ({_HELP})")

    def build(env: Mapping[str, str]) -> CommentSource:
        per_type = {t: env[f"{_SECRET_ENV}_{t.removeprefix('live_').upper()}"] for t in MSG_KINDS
                    if env.get(f"{_SECRET_ENV}_{t.removeprefix('live_').upper()}")}
        return DouyinPush(host, port, path, secret=env.get(_SECRET_ENV, ""), secrets=per_type, room=room,
                          tls=tls_context(env.get("STREAMER_DOUYIN_TLS_CERT"), env.get("STREAMER_DOUYIN_TLS_KEY")))
    return build
