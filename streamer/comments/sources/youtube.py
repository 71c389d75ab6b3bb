"""YouTube live chat: polls ``liveChatMessages.list`` (YouTube Data API v3) as the API documents it.

Each response says when to ask again (``pollingIntervalMillis``) and where to continue (``nextPageToken``); the
poller honours both, so it neither misses messages nor burns quota. Message types that become a `Comment`:
textMessageEvent (chat), superChatEvent / superStickerEvent / membershipGiftingEvent (gift), newSponsorEvent /
memberMilestoneChatEvent (follow). The stream ends when the chat ends (chatEndedEvent, ``offlineAt``, or the API's
``liveChatEnded`` / ``liveChatNotFound`` errors). Quota and server errors back off and retry the same page.

A 24/7 room must not spend its project's daily quota by noon: with ``daily_quota_units`` the poller never asks more
often than that budget allows for a whole day (``LIST_COST_UNITS`` per request), however short the interval the API
suggests. `YouTubeVideoChat` starts from a video id (``youtube://VIDEO_ID``): it looks up the video's live chat,
then polls it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from ...errors import ConfigError
from ..model import Comment, CommentKind
from .base import Backoff, Sleep, SourceStatus

__all__ = ["LIST_COST_UNITS", "YouTubeLiveChat", "YouTubeVideoChat", "comment_from_item", "resolve_live_chat_id"]

log = logging.getLogger(__name__)

API_BASE = "https://www.googleapis.com"
MESSAGES_PATH = "/youtube/v3/liveChat/messages"
VIDEOS_PATH = "/youtube/v3/videos"
DEFAULT_INTERVAL_S = 5.0
REQUEST_TIMEOUT_S = 15.0
LIST_COST_UNITS = 5  # quota units one liveChatMessages.list request costs (the API's quota cost table)
DAY_S = 86_400.0
_ENDED = {"liveChatEnded", "liveChatNotFound", "liveChatDisabled"}
_RETRY = {"rateLimitExceeded", "quotaExceeded", "backendError", "internalError"}

_KINDS = {
    "textMessageEvent": CommentKind.CHAT,
    "superChatEvent": CommentKind.GIFT,
    "superStickerEvent": CommentKind.GIFT,
    "membershipGiftingEvent": CommentKind.GIFT,
    "newSponsorEvent": CommentKind.FOLLOW,
    "memberMilestoneChatEvent": CommentKind.FOLLOW,
}


def _time(published: str | None) -> float | None:
    if not published:
        return None
    try:
        return datetime.fromisoformat(published.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def comment_from_item(item: dict[str, Any]) -> Comment | None:
    """The comment in one ``youtube#liveChatMessage`` resource; None for types that are not comments."""
    snippet = item.get("snippet") or {}
    kind = _KINDS.get(snippet.get("type", ""))
    if kind is None:
        return None
    author = item.get("authorDetails") or {}
    text = snippet.get("displayMessage") or ""
    gift, count = "", 1
    if kind is CommentKind.CHAT:
        text = (snippet.get("textMessageDetails") or {}).get("messageText", text)
    elif snippet["type"] in ("superChatEvent", "superStickerEvent"):
        details = snippet.get("superChatDetails") or snippet.get("superStickerDetails") or {}
        gift = str(details.get("amountDisplayString") or "Super Chat")
        text = details.get("userComment", "")
    elif snippet["type"] == "membershipGiftingEvent":
        gift = "membership"
        count = int((snippet.get("membershipGiftingDetails") or {}).get("giftMembershipsCount") or 1)
    elif snippet["type"] == "newSponsorEvent":
        text = ""  # YouTube's own "Welcome to ...!" line, not the viewer's words
    elif snippet["type"] == "memberMilestoneChatEvent":
        text = (snippet.get("memberMilestoneChatDetails") or {}).get("userComment", "")
    t = _time(snippet.get("publishedAt"))
    extra = {"time": t} if t is not None else {}
    return Comment(text=text, user=author.get("displayName", ""),
                   user_id=author.get("channelId") or snippet.get("authorChannelId", ""), platform="youtube",
                   kind=kind, id=item.get("id", ""), gift=gift, count=count, **extra)


def _json(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        log.warning("youtube poll: response is not JSON")
        return None
    return body if isinstance(body, dict) else None


def _reason(response: httpx.Response) -> str:
    try:
        errors = response.json()["error"]["errors"]
        return str(errors[0].get("reason", ""))
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def _auth(api_key: str | None, token: str | None) -> tuple[dict[str, str], dict[str, str]]:
    if not api_key and not token:
        raise ConfigError("youtube: give an API key or an OAuth access token")
    return ({"key": api_key} if api_key else {}), ({"Authorization": f"Bearer {token}"} if token else {})


async def resolve_live_chat_id(video_id: str, *, api_key: str | None = None, token: str | None = None,
                               base_url: str = API_BASE) -> str:
    """The ``activeLiveChatId`` of a live video (``videos.list?part=liveStreamingDetails``)."""
    params, headers = _auth(api_key, token)
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S, headers=headers) as client:
        r = await client.get(VIDEOS_PATH, params={"part": "liveStreamingDetails", "id": video_id, **params})
        if r.status_code != 200:  # not raise_for_status: its message holds the URL, and the URL holds the key
            raise ConfigError(f"youtube: videos.list HTTP {r.status_code} {_reason(r)}".rstrip())
        body = _json(r) or {}
        items = body.get("items") or []
    chat_id = items[0].get("liveStreamingDetails", {}).get("activeLiveChatId") if items else None
    if not chat_id:
        raise ConfigError(f"youtube: video {video_id} has no active live chat")
    return str(chat_id)


class YouTubeLiveChat:
    """Polls one live chat. ``async for c in YouTubeLiveChat(chat_id, api_key=KEY).stream(): ...``"""

    def __init__(self, live_chat_id: str, *, api_key: str | None = None, token: str | None = None,
                 base_url: str = API_BASE, skip_backlog: bool = False, sleep: Sleep = asyncio.sleep,
                 backoff: Backoff | None = None, max_errors: int | None = None,
                 daily_quota_units: int | None = None) -> None:
        if daily_quota_units is not None and daily_quota_units < LIST_COST_UNITS:
            raise ConfigError(f"youtube: a daily quota of {daily_quota_units} units buys no request "
                              f"({LIST_COST_UNITS} units each)")
        self.live_chat_id = live_chat_id
        self._params, self._headers = _auth(api_key, token)
        self.base_url = base_url
        self.skip_backlog = skip_backlog  # the first page replays recent history; a live host may not want it
        self._sleep = sleep
        self.backoff = backoff or Backoff(initial_s=5.0, max_s=300.0, sleep=sleep)
        self.max_errors = max_errors
        self.page_token: str | None = None
        self.requests = 0
        # the shortest wait between requests that keeps a whole day of polling within the budget
        self.min_interval_s = DAY_S * LIST_COST_UNITS / daily_quota_units if daily_quota_units else 0.0
        self.status = SourceStatus()

    async def stream(self) -> AsyncIterator[Comment]:
        errors = 0
        first = True
        async with httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT_S,
                                     headers=self._headers) as client:
            while True:
                params = {"liveChatId": self.live_chat_id, "part": "snippet,authorDetails", "maxResults": "2000",
                          **self._params}
                if self.page_token:
                    params["pageToken"] = self.page_token
                self.requests += 1
                try:
                    r = await client.get(MESSAGES_PATH, params=params)
                except httpx.HTTPError as e:
                    r = None
                    log.warning("youtube poll: %s", e)
                body = _json(r) if r is not None and r.status_code == 200 else None
                if body is not None:
                    if not self.status.connected:
                        self.status.up()
                    errors = 0
                    self.backoff.reset()
                    ended = False
                    if not (first and self.skip_backlog):
                        for item in body.get("items") or []:
                            if (item.get("snippet") or {}).get("type") == "chatEndedEvent":
                                ended = True
                            comment = comment_from_item(item)
                            if comment is not None:
                                yield comment
                    first = False
                    self.page_token = body.get("nextPageToken") or self.page_token
                    if ended or body.get("offlineAt"):
                        return
                    interval_ms = body.get("pollingIntervalMillis")
                    interval_s = interval_ms / 1000.0 if isinstance(interval_ms, int | float) else DEFAULT_INTERVAL_S
                    await self._sleep(max(interval_s, self.min_interval_s))
                    continue
                reason = _reason(r) if r is not None else ""
                self.status.down(f"HTTP {r.status_code} {reason}".rstrip() if r is not None else "no response")
                if reason in _ENDED:
                    log.info("youtube chat %s: %s", self.live_chat_id, reason)
                    return
                if r is not None and r.status_code in (400, 401, 403, 404) and reason not in _RETRY:
                    raise ConfigError(f"youtube: HTTP {r.status_code} {reason or r.text[:200]}")
                errors += 1
                if self.max_errors is not None and errors > self.max_errors:
                    return
                await self.backoff.wait()


class YouTubeVideoChat:
    """The live chat of one video: ``videos.list`` finds its chat, then `YouTubeLiveChat` polls it. A restarted
    stream continues from the page it had reached, so the backlog is not read twice."""

    def __init__(self, video_id: str, *, api_key: str | None = None, token: str | None = None,
                 base_url: str = API_BASE, daily_quota_units: int | None = None) -> None:
        _auth(api_key, token)  # no key and no token: an error now, not at the first poll
        self.video_id = video_id
        self._api_key, self._token = api_key, token
        self.base_url = base_url
        self.daily_quota_units = daily_quota_units
        self.chat: YouTubeLiveChat | None = None
        self.status = SourceStatus()

    async def stream(self) -> AsyncIterator[Comment]:
        if self.chat is None:
            try:
                chat_id = await resolve_live_chat_id(self.video_id, api_key=self._api_key, token=self._token,
                                                     base_url=self.base_url)
            except (httpx.HTTPError, ConfigError) as e:
                self.status.down(str(e) or type(e).__name__)
                raise
            self.chat = YouTubeLiveChat(chat_id, api_key=self._api_key, token=self._token, base_url=self.base_url,
                                        daily_quota_units=self.daily_quota_units)
            self.status = self.chat.status
        async for comment in self.chat.stream():
            yield comment
