"""Comments from a stream's platforms into its replies: `CommentIntake` runs each configured source, keeps it running
and hands every new comment to the session once.

    intake = CommentIntake.from_urls(["irc://127.0.0.1:6667/#room", "youtube://VIDEO_ID"], handler.offer)
    await intake.run()      # until cancelled; a broken source never ends it
    intake.health()         # per source: connected, messages per minute, totals, last error

Source URLs (``SCHEMES``, one parser per scheme; a new platform is one entry):
``irc://[nick[:password]@]host[:port]/#channel`` (``ircs://`` over TLS) · ``twitch://CHANNEL`` (irc.chat.twitch.tv
over TLS; ``STREAMER_TWITCH_TOKEN`` with ``STREAMER_TWITCH_NICK`` log in, without them it reads anonymously) ·
``youtube://VIDEO_ID`` (``STREAMER_YOUTUBE_API_KEY`` or ``STREAMER_YOUTUBE_TOKEN``; ``?quota=UNITS`` or
``STREAMER_YOUTUBE_DAILY_QUOTA``, default 10,000, the budget a day of polling keeps to) ·
``bridge+ws://host:port[/path][?platform=kuaishou]`` (a dy-barrage-grab style collector; ``bridge+wss://``) ·
``file://comments.jsonl`` (a replay with the lines' time offsets) · ``twitch-eventsub://CHANNEL`` ·
``bilibili://ROOM_ID`` · ``douyin-push://[host]:port[/path]`` · ``webhook://[host]:port/path`` (each described,
keys included, in its module under sources/). A URL that cannot work is a `ConfigError` naming it when the intake is
built, before the stream starts.

Why the intake and not each source: sources reconnect by themselves, but one that ends or raises (a bug, a login the
platform refused) would otherwise end silently; here it is started again with backoff, forever, and the stream goes
on. Platforms deliver at least once (a reconnect may replay the last messages), so comments are de-duplicated on the
platform's message ids, in a sliding window of recent ids per source (bounded memory on a 24/7 stream). Each comment
reaches the replies as ``offer(ref, payload)`` with ``ref`` = source name + message id, the same ref its ``comment``
and ``decision`` events carry.

Secrets (passwords and ``key``/``token`` values in URLs, keys in the environment) never reach a log line or the
health: URLs are shown through `redact_url` and error texts have every known secret masked.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ..errors import ConfigError
from .model import Comment
from .sources import bilibili, douyin, eventsub, webhook
from .sources.base import MASK, Backoff, CommentSource, SourceStatus, is_secret_name, redact_url
from .sources.bridge import BridgeSource
from .sources.file import CommentFile
from .sources.twitch import TWITCH_HOST, TWITCH_TLS_PORT, TwitchChat
from .sources.youtube import API_BASE, YouTubeVideoChat

__all__ = ["RECENT_IDS", "SCHEMES", "CommentIntake", "RecentIds", "SourceBuilder", "check_source_url",
           "open_source"]

log = logging.getLogger(__name__)

RECENT_IDS = 4096          # message ids remembered per source: far more than any platform replays on a reconnect
RATE_WINDOW_S = 60
MAX_REF_CHARS = 200        # a comment id's limit in `CommentPayload`
MIN_SECRET_CHARS = 6       # shorter environment values are not masked in error texts (they would mask words)
DEFAULT_YOUTUBE_QUOTA = 10_000  # a project's default daily YouTube Data API quota

Env = Mapping[str, str]
Offer = Callable[[str, dict[str, Any]], None]
SourceBuilder = Callable[[Env], CommentSource]
"""What a scheme's parser returns: it builds the source from the environment (where keys and tokens live)."""


# --- source URLs ------------------------------------------------------------------------------------------------

_CHANNEL = re.compile(r"[^\s,:\x07]{1,50}")
_TWITCH_CHANNEL = re.compile(r"[a-z0-9_]{1,25}")
_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_PLATFORM = re.compile(r"[a-z0-9_-]{1,32}")


def _host_port(parts: SplitResult, default_port: int | None) -> tuple[str, int]:
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError("the port is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError("no host")
    if port is None:
        raise ValueError("no port")
    return parts.hostname, port


def _irc(parts: SplitResult) -> SourceBuilder:
    tls = parts.scheme == "ircs"
    host, port = _host_port(parts, 6697 if tls else 6667)
    channel = unquote(parts.fragment or parts.path.lstrip("/")).lstrip("#")
    if not _CHANNEL.fullmatch(channel):
        raise ValueError("no channel (irc://host:port/#channel)")
    nick = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    platform = "twitch" if host.endswith("twitch.tv") else "irc"
    return lambda env: TwitchChat(channel, host=host, port=port, tls=tls, nick=nick, token=password,
                                  platform=platform)


def _twitch(parts: SplitResult) -> SourceBuilder:
    channel = unquote(parts.netloc).lstrip("#").lower()
    if not _TWITCH_CHANNEL.fullmatch(channel) or parts.path.strip("/"):
        raise ValueError("expected twitch://CHANNEL (letters, digits and _)")

    def build(env: Env) -> CommentSource:
        token, nick = env.get("STREAMER_TWITCH_TOKEN"), env.get("STREAMER_TWITCH_NICK")
        if token and not nick:
            raise ConfigError("STREAMER_TWITCH_TOKEN is set: set STREAMER_TWITCH_NICK to the token's account too")
        return TwitchChat(channel, host=TWITCH_HOST, port=TWITCH_TLS_PORT, tls=True, nick=nick if token else None,
                          token=token or None)
    return build


def _youtube(parts: SplitResult) -> SourceBuilder:
    video_id = parts.netloc
    if not _VIDEO_ID.fullmatch(video_id) or parts.path.strip("/"):
        raise ValueError("expected youtube://VIDEO_ID (the 11 characters after watch?v=)")
    query = dict(parse_qsl(parts.query))
    quota_text = query.get("quota")

    def build(env: Env) -> CommentSource:
        key, token = env.get("STREAMER_YOUTUBE_API_KEY"), env.get("STREAMER_YOUTUBE_TOKEN")
        if not key and not token:
            raise ConfigError("set STREAMER_YOUTUBE_API_KEY (or an OAuth token in STREAMER_YOUTUBE_TOKEN)")
        quota = quota_text or env.get("STREAMER_YOUTUBE_DAILY_QUOTA") or str(DEFAULT_YOUTUBE_QUOTA)
        if not quota.isdigit():
            raise ConfigError(f"the daily quota must be a number of units, got {quota!r}")
        return YouTubeVideoChat(video_id, api_key=key or None, token=token or None,
                                base_url=env.get("STREAMER_YOUTUBE_API_BASE") or API_BASE,
                                daily_quota_units=int(quota))
    return build


def _bridge(parts: SplitResult) -> SourceBuilder:
    _host_port(parts, None)
    query = parse_qsl(parts.query, keep_blank_values=True)
    platform = dict(query).get("platform", "douyin")
    if not _PLATFORM.fullmatch(platform):
        raise ValueError(f"platform must be a short lowercase name, got {platform!r}")
    rest = urlencode([(k, v) for k, v in query if k != "platform"])
    ws_url = urlunsplit((parts.scheme.removeprefix("bridge+"), parts.netloc, parts.path, rest, ""))
    return lambda env: BridgeSource(ws_url, platform=platform)


def _file(parts: SplitResult) -> SourceBuilder:
    path = unquote(parts.netloc + parts.path)
    if not path:
        raise ValueError("no path (file://comments.jsonl or file:///abs/path.jsonl)")
    return lambda env: CommentFile(path)


SCHEMES: dict[str, Callable[[SplitResult], SourceBuilder]] = {
    "irc": _irc, "ircs": _irc, "twitch": _twitch, "youtube": _youtube, "bridge+ws": _bridge, "bridge+wss": _bridge,
    "file": _file, "twitch-eventsub": eventsub.parse_url, "bilibili": bilibili.parse_url,
    "douyin-push": douyin.parse_url, "webhook": webhook.parse_url,
}
"""URL scheme -> parser. A parser raises ValueError for a URL it cannot use and returns what builds the source."""


def _builder(url: str) -> SourceBuilder:
    try:
        parts = urlsplit(url.strip())
    except ValueError as e:
        raise ConfigError(f"comment source {redact_url(url)!r}: {e}") from None
    parser = SCHEMES.get(parts.scheme.lower())
    if parser is None:
        raise ConfigError(f"comment source {redact_url(url)!r}: unknown scheme; use one of "
                          f"{', '.join(s + '://' for s in SCHEMES)}")
    try:
        return parser(parts)
    except ValueError as e:
        raise ConfigError(f"comment source {redact_url(url)!r}: {e}") from None


def check_source_url(url: str) -> None:
    """Raise `ConfigError` (naming the URL, redacted) when ``url`` is not a comment source URL. Only the URL is
    checked: keys in the environment are looked up when the source is opened."""
    _builder(url)


def open_source(url: str, env: Env | None = None) -> CommentSource:
    """The source ``url`` names, with its keys from ``env`` (default os.environ). Raises `ConfigError`."""
    build = _builder(url)
    try:
        return build(os.environ if env is None else env)
    except ConfigError as e:
        raise ConfigError(f"comment source {redact_url(url)!r}: {e}") from None


def _url_secrets(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [unquote(parts.password)] if parts.password else []
    return found + [v for k, v in parse_qsl(parts.query) if is_secret_name(k) and v]


def _env_secrets(env: Env) -> list[str]:
    return [v for k, v in env.items() if is_secret_name(k) and len(v) >= MIN_SECRET_CHARS]


# --- running sources --------------------------------------------------------------------------------------------

class RecentIds:
    """The last ``size`` ids seen, in a set for lookups and a queue for forgetting the oldest."""

    def __init__(self, size: int = RECENT_IDS) -> None:
        self.size = size
        self._order: deque[str] = deque()
        self._seen: set[str] = set()

    def __len__(self) -> int:
        return len(self._order)

    def seen(self, key: str) -> bool:
        """Whether ``key`` is among the recent ids; it is remembered from now on either way."""
        if key in self._seen:
            return True
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > self.size:
            self._seen.discard(self._order.popleft())
        return False


@dataclass(eq=False)
class _Running:
    name: str
    url: str  # redacted
    source: CommentSource
    recent: RecentIds
    status: SourceStatus = field(default_factory=SourceStatus)
    state: str = "starting"  # running | waiting (backoff after an end or error) | finished (a file replayed)
    total: int = 0
    duplicates: int = 0
    restarts: int = 0
    sequence: int = 0
    last_message_at: float | None = None
    per_second: deque[list[int]] = field(default_factory=deque)  # [second, count], the last RATE_WINDOW_S

    def link(self) -> SourceStatus:
        """The source's own status (it may replace the object, e.g. once a YouTube chat is found), else ours."""
        own = getattr(self.source, "status", None)
        return own if isinstance(own, SourceStatus) else self.status

    def count(self, second: int) -> None:
        if self.per_second and self.per_second[-1][0] == second:
            self.per_second[-1][1] += 1
        else:
            self.per_second.append([second, 1])
        while self.per_second and self.per_second[0][0] <= second - RATE_WINDOW_S:
            self.per_second.popleft()

    def per_minute(self, second: int) -> int:
        return sum(n for s, n in self.per_second if s > second - RATE_WINDOW_S)


class CommentIntake:
    """Runs comment sources for one session and offers their comments to its replies. Use from one event loop."""

    def __init__(self, sources: Sequence[tuple[str, CommentSource]], offer: Offer, *,
                 backoff: Callable[[], Backoff] = Backoff, recent_ids: int = RECENT_IDS,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
                 secrets: Iterable[str] = ()) -> None:
        """``sources``: (URL, source) pairs; the URL is only shown, redacted. ``secrets``: texts to mask wherever
        an error is logged or shown (each URL's own password and key values are masked anyway)."""
        self._offer = offer
        self._backoff = backoff
        self._clock, self._monotonic = clock, monotonic
        self._secrets = sorted({*secrets, *(s for url, _ in sources for s in _url_secrets(url))}, key=len,
                               reverse=True)
        names: dict[str, int] = {}
        self._sources: list[_Running] = []
        for url, source in sources:
            kind = re.sub(r"[^a-z]", "", url.split(":", 1)[0].split("+", 1)[0].lower()) or "source"
            names[kind] = names.get(kind, 0) + 1
            self._sources.append(_Running(f"{kind}{names[kind]}", redact_url(url), source, RecentIds(recent_ids)))

    @classmethod
    def from_urls(cls, urls: Sequence[str], offer: Offer, env: Env | None = None, **kw: Any) -> CommentIntake:
        """Open every URL's source (keys from ``env``, default os.environ). Raises `ConfigError` naming the first
        URL that cannot work."""
        env = os.environ if env is None else env
        sources = [(url, open_source(url, env)) for url in urls]
        return cls(sources, offer, secrets=_env_secrets(env), **kw)

    def __len__(self) -> int:
        return len(self._sources)

    async def run(self) -> None:
        """Run every source until cancelled (returns at once when there are none)."""
        if not self._sources:
            return
        for s in self._sources:
            log.info("comments from %s (%s)", s.url, s.name)
        async with asyncio.TaskGroup() as group:
            for s in self._sources:
                group.create_task(self._keep_running(s), name=f"comments:{s.name}")

    def health(self) -> list[dict[str, Any]]:
        """Per source, in the order configured: name, url (redacted), state, connected, connections, messages per
        minute, total, duplicates dropped, restarts, last error (masked), last message (Unix seconds)."""
        second = int(self._monotonic())
        out = []
        for s in self._sources:
            link = s.link()
            out.append({"name": s.name, "url": s.url, "state": s.state, "connected": link.connected,
                        "connections": link.connections, "messages_per_min": s.per_minute(second), "total": s.total,
                        "duplicates": s.duplicates, "restarts": s.restarts,
                        "last_error": self._mask(link.last_error) if link.last_error else None,
                        "last_message_at": s.last_message_at})
        return out

    async def _keep_running(self, s: _Running) -> None:
        backoff = self._backoff()
        while True:
            s.state = "running"
            if not isinstance(getattr(s.source, "status", None), SourceStatus):
                s.status.up()  # a source that keeps no status is taken to be connected while it runs
            try:
                async for comment in s.source.stream():
                    backoff.reset()
                    self._take(s, comment)
                if getattr(s.source, "finite", False):
                    s.state = "finished"
                    s.link().connected = False
                    log.info("comments from %s: finished", s.url)
                    return
                error = "the source ended"
            except Exception as e:  # any failure of one source: it is started again, the stream goes on
                error = self._mask(f"{type(e).__name__}: {e}")
            s.link().down(error)
            s.state = "waiting"
            s.restarts += 1
            log.warning("comments from %s: %s; starting it again (restart %d)", s.url, error, s.restarts)
            await backoff.wait()

    def _take(self, s: _Running, comment: Comment) -> None:
        if comment.id and s.recent.seen(comment.id):
            s.duplicates += 1
            return
        s.total += 1
        s.last_message_at = self._clock()
        s.count(int(self._monotonic()))
        s.sequence += 1
        ref = f"{s.name}:{comment.id}" if comment.id else f"{s.name}#{s.sequence}"
        if len(ref) > MAX_REF_CHARS:
            ref = f"{s.name}:{hashlib.sha256(comment.id.encode()).hexdigest()[:32]}"
        payload: dict[str, Any] = {"text": comment.text, "user": comment.user, "platform": comment.platform,
                                   "kind": str(comment.kind), "gift": comment.gift, "count": comment.count}
        try:
            self._offer(ref, payload)
        except Exception as e:  # a comment the replies cannot take is lost; the source goes on
            s.link().last_error = self._mask(f"offer failed: {type(e).__name__}: {e}")
            log.exception("comments from %s: could not offer %s", s.url, ref)

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text
