"""The comment intake: source URLs, sources kept running, at-least-once deliveries answered once, health without
secrets, file replays on their time offsets, and the served settings that carry the URLs."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError
from websockets.asyncio.server import ServerConnection, serve

from streamer.comments import Comment
from streamer.comments.intake import CommentIntake, RecentIds, open_source
from streamer.comments.sources.base import Backoff
from streamer.comments.sources.bridge import BridgeSource
from streamer.comments.sources.file import CommentFile
from streamer.comments.sources.twitch import TwitchChat
from streamer.comments.sources.youtube import YouTubeLiveChat
from streamer.control.schemas import StreamSettings
from streamer.errors import ConfigError

Offered = list[tuple[str, dict[str, Any]]]


def fast() -> Backoff:
    return Backoff(initial_s=0.01, max_s=0.05)


async def until(condition: Callable[[], bool], within_s: float = 10.0) -> None:
    async with asyncio.timeout(within_s):
        while not condition():  # noqa: ASYNC110 - the intake has no event to wait on
            await asyncio.sleep(0.01)


@asynccontextmanager
async def running(intake: CommentIntake) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(intake.run())
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _dy(msg_id: str, text: str) -> str:
    data = {"MsgId": msg_id, "Content": text, "User": {"Id": 7, "Nickname": "ann"}}
    return json.dumps({"Type": 1, "ProcessName": "douyin", "Data": json.dumps(data)})


async def test_a_message_redelivered_after_a_reconnect_is_offered_once() -> None:
    connections = 0

    async def collector(ws: ServerConnection) -> None:  # at-least-once: the second link replays m2
        nonlocal connections
        connections += 1
        for msg_id, text in ([("m1", "多少钱"), ("m2", "包邮吗")] if connections == 1
                             else [("m2", "包邮吗"), ("m3", "有优惠吗")]):
            await ws.send(_dy(msg_id, text))
        if connections == 1:
            await ws.close()
        else:
            await ws.wait_closed()

    offered: Offered = []
    async with serve(collector, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        intake = CommentIntake([("bridge+" + url, BridgeSource(url, backoff=fast()))],
                               lambda ref, p: offered.append((ref, p)))
        async with running(intake):
            await until(lambda: len(offered) >= 3 and intake.health()[0]["duplicates"] >= 1)
    assert [(ref, p["text"]) for ref, p in offered] == [("bridge1:m1", "多少钱"), ("bridge1:m2", "包邮吗"),
                                                       ("bridge1:m3", "有优惠吗")]
    assert connections == 2
    health = intake.health()[0]
    assert (health["total"], health["duplicates"], health["connections"]) == (3, 1, 2)


class Flaky:
    """A source with a bug: its first run raises, later runs deliver one comment and end."""

    def __init__(self) -> None:
        self.runs = 0

    async def stream(self) -> AsyncIterator[Comment]:
        self.runs += 1
        if self.runs == 1:
            raise RuntimeError("parser bug")
        yield Comment(text=f"run {self.runs}", user="ann", id=f"r{self.runs}")


async def test_a_source_that_raises_is_started_again_with_backoff() -> None:
    offered: Offered = []
    flaky = Flaky()
    intake = CommentIntake([("irc://h/#a", flaky)], lambda ref, p: offered.append((ref, p)), backoff=fast)
    async with running(intake) as task:
        await until(lambda: len(offered) >= 2)
        assert not task.done()
    health = intake.health()[0]
    assert [p["text"] for _, p in offered[:2]] == ["run 2", "run 3"]
    assert health["restarts"] >= 2  # after the error, and after each end
    assert health["last_error"] == "the source ended"


async def test_a_broken_source_does_not_stop_the_others() -> None:
    offered: Offered = []

    class Broken:
        async def stream(self) -> AsyncIterator[Comment]:
            raise ConfigError("login refused")
            yield  # pragma: no cover - makes this an async generator

    class One:
        async def stream(self) -> AsyncIterator[Comment]:
            yield Comment(text="hello", id="x")
            await asyncio.Event().wait()

    intake = CommentIntake([("irc://h/#a", Broken()), ("irc://h/#b", One())], lambda r, p: offered.append((r, p)),
                           backoff=fast)
    async with running(intake):
        await until(lambda: bool(offered) and intake.health()[0]["restarts"] >= 3)
        broken, one = intake.health()
    assert offered[0][0] == "irc2:x"
    assert (broken["connected"], broken["last_error"]) == (False, "ConfigError: login refused")
    assert (one["connected"], one["total"], one["restarts"]) == (True, 1, 0)


@pytest.mark.parametrize(("url", "says"), [
    ("bogus://x", "unknown scheme"),
    ("irc://127.0.0.1:6667", "no channel"),
    ("irc://127.0.0.1:99999/#room", "port"),
    ("twitch://no spaces", "twitch://CHANNEL"),
    ("youtube://short", "VIDEO_ID"),
    ("youtube://dQw4w9WgXcQ", "STREAMER_YOUTUBE_API_KEY"),
    ("bridge+ws://", "no host"),
    ("file:///nowhere/comments.jsonl", "not found"),
    ("twitch-eventsub://shop", "STREAMER_TWITCH_CLIENT_ID"),
    ("bilibili://123", "STREAMER_BILIBILI_ACCESS_KEY_ID"),
    ("douyin-push://127.0.0.1:0/push", "STREAMER_DOUYIN_PUSH_SECRET"),
    ("webhook://127.0.0.1:0/hook", "STREAMER_WEBHOOK_SECRET"),
])
def test_a_bad_source_url_is_an_error_naming_it(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as e:
        open_source(url, env={})
    assert url.split("?")[0] in str(e.value)
    assert says in str(e.value)


def test_source_urls_open_the_platform_they_name() -> None:
    chat = open_source("twitch://Shop", env={"STREAMER_TWITCH_TOKEN": "abcdef123", "STREAMER_TWITCH_NICK": "bot"})
    assert isinstance(chat, TwitchChat)
    assert (chat.host, chat.port, chat.tls, chat.channel, chat.nick, chat.token) == (
        "irc.chat.twitch.tv", 6697, True, "#shop", "bot", "oauth:abcdef123")
    room = open_source("irc://bot:pw@127.0.0.1:6668/#Room", env={})
    assert isinstance(room, TwitchChat)
    assert (room.host, room.port, room.tls, room.channel, room.token, room.platform) == (
        "127.0.0.1", 6668, False, "#room", "pw", "irc")
    bridge = open_source("bridge+ws://127.0.0.1:8888/live?platform=kuaishou", env={})
    assert isinstance(bridge, BridgeSource)
    assert (bridge.url, bridge.platform) == ("ws://127.0.0.1:8888/live", "kuaishou")


async def test_secrets_never_reach_the_health_or_the_logs(refused_port_number: int,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"irc://bot:hunter2secret@127.0.0.1:{refused_port_number}/#room"

    class Leaky:  # an error text that quotes a key from the environment
        async def stream(self) -> AsyncIterator[Comment]:
            raise RuntimeError("403 for https://api.example/?key=envkey12345")
            yield  # pragma: no cover

    chat = open_source(url, env={})
    assert isinstance(chat, TwitchChat)
    chat.backoff = fast()
    intake = CommentIntake([(url, chat), ("bridge+ws://127.0.0.1:1", Leaky())], lambda r, p: None, backoff=fast,
                           secrets=["envkey12345"])
    async with running(intake):
        await until(lambda: all(h["last_error"] for h in intake.health()))
        health = json.dumps(intake.health())
    assert "hunter2secret" not in health and "envkey12345" not in health
    assert "hunter2secret" not in caplog.text and "envkey12345" not in caplog.text
    assert f"irc://bot:***@127.0.0.1:{refused_port_number}/#room" in health
    assert "key=***" in health


async def test_a_file_replay_offers_each_line_at_its_time_offset(tmp_path: Path) -> None:
    path = tmp_path / "room.jsonl"
    path.write_text('{"t": 0, "user": "ann", "text": "hi"}\n'
                    "# a remark\n"
                    '{"t": 2.5, "user": "bob", "text": "how much?"}\n'
                    "not a comment\n"
                    '{"t": 60, "user": "cy", "text": "bye", "id": "c1"}\n', encoding="utf-8")
    now = [100.0]

    async def sleep(s: float) -> None:  # virtual time: an hour-long replay runs at once
        now[0] += s

    replay = CommentFile(path, clock=lambda: now[0], sleep=sleep)
    heard = [(now[0] - 100.0, c.user, c.text) async for c in replay.stream()]
    assert heard == [(0.0, "ann", "hi"), (2.5, "bob", "how much?"), (60.0, "cy", "bye")]
    assert replay.skipped == 1 and replay.status.last_error == "line 4: not JSON: Expecting value"


async def test_a_finished_replay_is_not_started_again(tmp_path: Path) -> None:
    path = tmp_path / "room.jsonl"
    path.write_text('{"user": "ann", "text": "hi"}\n', encoding="utf-8")
    offered: Offered = []
    intake = CommentIntake([(f"file://{path}", CommentFile(path))], lambda r, p: offered.append((r, p)),
                           backoff=fast)
    await asyncio.wait_for(intake.run(), 5)
    assert [r for r, _ in offered] == ["file1#1"]
    assert (intake.health()[0]["state"], intake.health()[0]["restarts"]) == ("finished", 0)


def test_recent_ids_forget_the_oldest_beyond_their_window() -> None:
    recent = RecentIds(size=3)
    assert [recent.seen(i) for i in ("a", "b", "a", "c", "d")] == [False, False, True, False, False]
    assert len(recent) == 3
    assert recent.seen("a") is False  # pushed out by c and d: remembered again from now on


async def test_messages_per_minute_counts_only_the_last_minute() -> None:
    clock = [1000.0]

    class Timed:  # four messages over 59 s of the intake's clock
        async def stream(self) -> AsyncIterator[Comment]:
            for t in (1000.0, 1015.0, 1030.5, 1059.0):
                clock[0] = t
                yield Comment(text="q", id=str(t))
            await asyncio.Event().wait()

    intake = CommentIntake([("irc://h/#a", Timed())], lambda r, p: None, monotonic=lambda: clock[0])
    async with running(intake):
        await until(lambda: intake.health()[0]["total"] == 4)
        clock[0] = 1070.0
        assert intake.health()[0]["messages_per_min"] == 3  # the one at 1000 s is over a minute old


# --- YouTube: a local server answering videos.list and liveChatMessages.list as the Data API v3 documents -------

class YouTubeApi(BaseHTTPRequestHandler):
    keys: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        url = urlsplit(self.path)
        YouTubeApi.keys.append(parse_qs(url.query).get("key", [""])[0])
        if url.path == "/youtube/v3/videos":
            body: dict[str, Any] = {"items": [{"id": "dQw4w9WgXcQ",
                                               "liveStreamingDetails": {"activeLiveChatId": "CHAT1"}}]}
        else:  # every page repeats the last message: the at-least-once delivery a poller must not answer twice
            body = {"nextPageToken": "next", "pollingIntervalMillis": 2000, "items": [
                {"id": "m1", "snippet": {"type": "textMessageEvent", "displayMessage": "how much?",
                                         "textMessageDetails": {"messageText": "how much?"}},
                 "authorDetails": {"displayName": "Ann", "channelId": "UCann"}}]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def youtube_api() -> Iterator[str]:
    YouTubeApi.keys = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), YouTubeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("quota", "wait_s"), [(10_000, 43.2), (1_000_000, 2.0), (None, 2.0)])
async def test_youtube_polls_no_faster_than_the_daily_quota_allows(youtube_api: str, quota: int | None,
                                                                    wait_s: float) -> None:
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    chat = YouTubeLiveChat("CHAT1", api_key="K", base_url=youtube_api, sleep=sleep, daily_quota_units=quota)
    async with aclosing(chat.stream()) as comments:
        async for _ in comments:
            if len(sleeps) >= 2:
                break
    assert sleeps == [wait_s, wait_s]  # 10,000 units a day at 5 a request: one request every 43.2 s


async def test_a_youtube_url_reads_the_video_chat_with_the_key_from_the_environment(youtube_api: str) -> None:
    offered: Offered = []
    env = {"STREAMER_YOUTUBE_API_KEY": "ytkey-123456", "STREAMER_YOUTUBE_API_BASE": youtube_api}
    intake = CommentIntake.from_urls(["youtube://dQw4w9WgXcQ"], lambda r, p: offered.append((r, p)), env=env)
    async with running(intake):
        await until(lambda: bool(offered))
        health = intake.health()[0]
    assert offered == [("youtube1:m1", {"text": "how much?", "user": "Ann", "platform": "youtube", "kind": "chat",
                                        "gift": "", "count": 1})]
    assert YouTubeApi.keys[:2] == ["ytkey-123456", "ytkey-123456"]  # videos.list, then the chat
    assert (health["connected"], health["url"]) == (True, "youtube://dQw4w9WgXcQ")



class RestartedYouTubeApi(YouTubeApi):
    """The same API; after its restart the chat's next page redelivers m1 (at least once) with m2."""

    restarted = False

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        url = urlsplit(self.path)
        if url.path == "/youtube/v3/videos":
            super().do_GET()
            return
        items = [("m1", "how much?"), *([("m2", "does it ship today?")] if RestartedYouTubeApi.restarted else [])]
        body = {"nextPageToken": "next", "pollingIntervalMillis": 50, "items": [
            {"id": i, "snippet": {"type": "textMessageEvent", "displayMessage": text,
                                  "textMessageDetails": {"messageText": text}},
             "authorDetails": {"displayName": "Ann", "channelId": "UCann"}} for i, text in items]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _serve_youtube(port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), RestartedYouTubeApi)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


async def test_a_youtube_api_that_goes_away_and_comes_back_is_polled_again_and_nothing_is_offered_twice() -> None:
    RestartedYouTubeApi.restarted = False
    server = _serve_youtube(0)
    port = server.server_address[1]
    offered: Offered = []
    env = {"STREAMER_YOUTUBE_API_KEY": "ytkey-123456", "STREAMER_YOUTUBE_API_BASE": f"http://127.0.0.1:{port}",
           "STREAMER_YOUTUBE_DAILY_QUOTA": "100000000"}
    intake = CommentIntake.from_urls(["youtube://dQw4w9WgXcQ"], lambda r, p: offered.append((r, p)), env=env)
    try:
        async with running(intake):
            await until(lambda: bool(offered))
            server.shutdown()  # the API goes away: connections are refused
            server.server_close()
            await until(lambda: bool(intake.health()[0]["last_error"]))
            RestartedYouTubeApi.restarted = True
            server = _serve_youtube(port)
            await until(lambda: len(offered) >= 2, within_s=20)
            await asyncio.sleep(0.5)  # more polls redeliver m1 and m2
    finally:
        server.shutdown()
        server.server_close()
    assert [ref for ref, _ in offered] == ["youtube1:m1", "youtube1:m2"]
    assert intake.health()[0]["duplicates"] >= 1

# --- served streams: the URLs in StreamSettings -----------------------------------------------------------------

def test_served_settings_mask_source_passwords_and_keep_them_when_sent_back() -> None:
    stored = StreamSettings(comments=["irc://bot:pw12345@10.0.0.5:6667/#room", "youtube://dQw4w9WgXcQ?key=K3Y"])
    shown = stored.model_dump(mode="json")["comments"]
    assert shown == ["irc://bot:***@10.0.0.5:6667/#room", "youtube://dQw4w9WgXcQ?key=***"]
    sent_back = StreamSettings.model_validate({"comments": [shown[0], "twitch://shop"]})
    assert sent_back.keep_secrets_of(stored).stored()["comments"] == ["irc://bot:pw12345@10.0.0.5:6667/#room",
                                                                      "twitch://shop"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "irc://host-without-channel", "gopher://x"])
def test_served_settings_refuse_file_replays_and_bad_urls(url: str) -> None:
    with pytest.raises(ValidationError, match="comment"):
        StreamSettings(comments=[url])
