"""The YouTube live-chat poller against a local HTTP server that replays liveChatMessages.list responses in the
shape the YouTube Data API v3 documents."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from streamer.comments import Comment, CommentKind, YouTubeLiveChat
from streamer.comments.sources.base import Backoff
from streamer.comments.sources.youtube import comment_from_item
from streamer.errors import ConfigError

AUTHOR = {"channelId": "UCann", "channelUrl": "http://www.youtube.com/channel/UCann", "displayName": "Ann",
          "profileImageUrl": "https://yt3.ggpht.com/a.jpg", "isVerified": False, "isChatOwner": False,
          "isChatSponsor": False, "isChatModerator": False}


def message(id_: str, type_: str, display: str, **details: object) -> dict[str, object]:
    return {"kind": "youtube#liveChatMessage", "etag": "e-" + id_, "id": id_,
            "snippet": {"type": type_, "liveChatId": "CHAT1", "authorChannelId": "UCann",
                        "publishedAt": "2024-05-01T12:00:00.5+00:00", "hasDisplayContent": True,
                        "displayMessage": display, **details},
            "authorDetails": AUTHOR}


def page(items: list[dict[str, object]], next_token: str, interval_ms: int, **extra: object) -> dict[str, object]:
    return {"kind": "youtube#liveChatMessageListResponse", "etag": "page-" + next_token,
            "nextPageToken": next_token, "pollingIntervalMillis": interval_ms,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}, "items": items, **extra}


def error(code: int, reason: str) -> dict[str, object]:
    return {"error": {"code": code, "message": reason, "errors": [{"domain": "youtube.liveChat", "reason": reason,
                                                                    "message": reason}]}}


# liveChatId -> pageToken -> the responses to give, in order (status, body); the last one repeats
Script = dict[str, list[tuple[int, dict[str, object]]]]
LIVE: Script = {
    "": [(200, page([
        message("m1", "textMessageEvent", "how much?", textMessageDetails={"messageText": "how much?"}),
        message("m2", "superChatEvent", "$5.00 from Ann: love it",
                superChatDetails={"amountMicros": "5000000", "currency": "USD", "amountDisplayString": "$5.00",
                                  "userComment": "love it", "tier": 2}),
    ], "p2", 40))],
    "p2": [(503, error(503, "backendError")),
           (200, page([message("m3", "newSponsorEvent", "Welcome to the club!"),
                       message("m4", "messageDeletedEvent", "")], "p3", 60))],
    "p3": [(403, error(403, "liveChatEnded"))],
}
GOING_OFFLINE: Script = {
    "": [(200, page([message("h", "textMessageEvent", "old news")], "q2", 10))],
    "q2": [(200, page([message("x", "textMessageEvent", "bye")], "q3", 10, offlineAt="2024-05-01T13:00:00Z"))],
}
SCRIPTS = {"CHAT1": LIVE, "CHAT2": GOING_OFFLINE}


async def drain(chat: YouTubeLiveChat) -> list[Comment]:
    return [c async for c in chat.stream()]


class Replay(BaseHTTPRequestHandler):
    requests: list[dict[str, list[str]]] = []
    served: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        query = parse_qs(url.query)
        Replay.requests.append({"path": [url.path], "auth": [self.headers.get("Authorization", "")], **query})
        token = query.get("pageToken", [""])[0]
        n = Replay.served.get(token, 0)
        Replay.served[token] = n + 1
        script = SCRIPTS[query["liveChatId"][0]][token]
        status, body = script[min(n, len(script) - 1)]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    Replay.requests, Replay.served = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_poller_follows_page_tokens_and_polling_intervals_until_the_chat_ends(api: str) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    chat = YouTubeLiveChat("CHAT1", api_key="KEY", base_url=api, sleep=sleep,
                           backoff=Backoff(initial_s=0.5, jitter=0, sleep=sleep))
    got = await asyncio.wait_for(drain(chat), 10)  # a poller that never ends fails here

    assert [(c.kind, c.text, c.gift) for c in got] == [
        (CommentKind.CHAT, "how much?", ""), (CommentKind.GIFT, "love it", "$5.00"), (CommentKind.FOLLOW, "", "")]
    assert (got[0].user, got[0].user_id, got[0].id, got[0].platform) == ("Ann", "UCann", "m1", "youtube")
    assert got[0].time == 1714564800.5
    assert [r.get("pageToken", [None])[0] for r in Replay.requests] == [None, "p2", "p2", "p3"]
    assert slept == [0.04, 0.5, 0.06]  # the page's interval, a backoff after the 503, the next page's interval
    first = Replay.requests[0]
    assert first["path"] == ["/youtube/v3/liveChat/messages"]
    assert (first["liveChatId"], first["part"], first["key"]) == (["CHAT1"], ["snippet,authorDetails"], ["KEY"])


async def test_backlog_can_be_skipped_and_offline_ends_the_stream(api: str) -> None:
    async def no_sleep(_: float) -> None:
        pass

    chat = YouTubeLiveChat("CHAT2", token="TOKEN", base_url=api, sleep=no_sleep, skip_backlog=True)
    got = await asyncio.wait_for(drain(chat), 10)  # a poller that never ends fails here
    assert [c.text for c in got] == ["bye"]  # "old news" was history when the poller started
    assert chat.requests == 2
    assert Replay.requests[0]["auth"] == ["Bearer TOKEN"] and "key" not in Replay.requests[0]


def test_non_comment_message_types_are_skipped() -> None:
    assert comment_from_item(message("d", "messageDeletedEvent", "")) is None
    gifting = comment_from_item(message("g", "membershipGiftingEvent", "gifted 5",
                                        membershipGiftingDetails={"giftMembershipsCount": 5}))
    assert gifting is not None and (gifting.kind, gifting.count) == (CommentKind.GIFT, 5)


def test_credentials_are_required() -> None:
    with pytest.raises(ConfigError):
        YouTubeLiveChat("CHAT1")
