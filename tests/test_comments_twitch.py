"""The Twitch chat adapter against a real IRC server (Debian's ngircd on loopback) and, for what only Twitch
sends (IRCv3 tags, RECONNECT, server PINGs at once), a scripted Twitch-like server on a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from irc_server import IrcServer, Viewer

from streamer.comments import Comment, CommentKind, TwitchChat
from streamer.comments.sources.base import Backoff
from streamer.comments.sources.irc import IrcMessage


@pytest.fixture
def ircd(tmp_path: Path) -> Iterator[IrcServer]:
    server = IrcServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def until(condition: Callable[[], bool], within_s: float) -> None:
    """Poll a counter of the running adapter (it has no event to wait on)."""
    async with asyncio.timeout(within_s):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _collect(chat: TwitchChat, out: asyncio.Queue[Comment]) -> None:
    async for comment in chat.stream():
        await out.put(comment)


Collector = tuple[list[asyncio.Task[None]], "asyncio.Queue[Comment]"]


@pytest.fixture
async def comments() -> AsyncIterator[Collector]:
    """Tasks to cancel at the end, and the queue the adapter's comments land in."""
    tasks: list[asyncio.Task[None]] = []
    yield tasks, asyncio.Queue()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _chat(port: int, idle_ping_s: float = 300.0) -> TwitchChat:
    return TwitchChat("#shop", host="127.0.0.1", port=port, tls=False, nick="justinfan11111",
                      backoff=Backoff(initial_s=0.05, max_s=0.2), idle_ping_s=idle_ping_s)


async def test_chat_lines_on_a_real_irc_server_become_comments(ircd: IrcServer, comments: Collector) -> None:
    tasks, out = comments
    viewer = await Viewer.join(ircd.port, "ann")
    chat = _chat(ircd.port)
    tasks.append(asyncio.create_task(_collect(chat, out)))
    await viewer.wait_for(lambda m: m.command == "JOIN" and m.nick == "justinfan11111")
    viewer.say("多少钱？ how much?")
    c = await asyncio.wait_for(out.get(), 5)
    assert (c.platform, c.user, c.text, c.kind) == ("twitch", "ann", "多少钱？ how much?", CommentKind.CHAT)
    late = await Viewer.join(ircd.port, "bob")
    joined = await asyncio.wait_for(out.get(), 5)
    assert (joined.user, joined.kind) == ("bob", CommentKind.ENTER)
    viewer.close()
    late.close()


async def test_reconnects_with_backoff_after_the_server_restarts(ircd: IrcServer, comments: Collector) -> None:
    tasks, out = comments
    chat = _chat(ircd.port)
    tasks.append(asyncio.create_task(_collect(chat, out)))
    viewer = await Viewer.join(ircd.port, "ann")
    await viewer.wait_for(lambda m: m.command == "JOIN" and m.nick == "justinfan11111", within_s=5)
    viewer.close()
    ircd.stop()
    ircd.start()
    viewer = await Viewer.join(ircd.port, "ann")
    await viewer.wait_for(lambda m: m.command == "JOIN" and m.nick == "justinfan11111", within_s=5)
    viewer.say("still there?")
    c = await asyncio.wait_for(out.get(), 5)
    assert c.text == "still there?"
    assert chat.connections == 2
    assert chat.backoff.failures == 0  # a delivered comment resets the wait
    viewer.close()


async def test_idle_link_is_kept_alive_with_pings_the_server_answers(ircd: IrcServer, comments: Collector) -> None:
    tasks, out = comments
    chat = _chat(ircd.port, idle_ping_s=0.1)
    tasks.append(asyncio.create_task(_collect(chat, out)))
    await until(lambda: chat.pings >= 3, within_s=5)
    assert chat.connections == 1  # every PING got its PONG: no reconnect


# --- a scripted Twitch-like server: tags, server PING and RECONNECT -----------------------------------------

TAGGED = ("@badge-info=;bits=100;color=#1E90FF;display-name=Ann\\sL;id=b34ccfc7;tmi-sent-ts=1700000000000;"
          "user-id=1337 :ann!ann@ann.tmi.twitch.tv PRIVMSG #shop :Cheer100 how much is it?\r\n")


async def read_until(reader: asyncio.StreamReader, command: str, received: list[str], within_s: float = 5) -> None:
    """Read the client's lines into ``received`` until one starts with ``command``; a client that hangs up or goes
    quiet ends the session (an error in the server's task) instead of a loop reading EOF forever."""
    async with asyncio.timeout(within_s):
        while not received or not received[-1].startswith(command):
            line = await reader.readline()
            if not line:
                raise ConnectionError(f"the client hung up before {command}")
            received.append(line.decode().strip())


async def test_twitch_tags_ping_and_reconnect(comments: Collector) -> None:
    tasks, out = comments
    sessions: list[list[str]] = []

    async def twitch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received: list[str] = []
        sessions.append(received)
        await read_until(reader, "NICK", received)
        writer.write(b":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands\r\n"
                     b":tmi.twitch.tv 001 justinfan11111 :Welcome, GLHF!\r\n"
                     b"PING :tmi.twitch.tv\r\n")
        await writer.drain()
        await read_until(reader, "PONG", received)
        if len(sessions) == 1:
            writer.write(TAGGED.encode() + b":tmi.twitch.tv RECONNECT\r\n")
        else:
            writer.write(b"@display-name=Bo;msg-id=raid;msg-param-viewerCount=42 :tmi.twitch.tv USERNOTICE #shop\r\n")
        await writer.drain()
        async with asyncio.timeout(10):
            await reader.read()  # until the client hangs up
        writer.close()

    server = await asyncio.start_server(twitch, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    chat = _chat(port)
    tasks.append(asyncio.create_task(_collect(chat, out)))
    cheer = await asyncio.wait_for(out.get(), 5)
    raid = await asyncio.wait_for(out.get(), 5)
    server.close()
    assert "CAP REQ :twitch.tv/tags twitch.tv/commands" in sessions[0]
    assert "PONG :tmi.twitch.tv" in sessions[0]
    assert (cheer.user, cheer.user_id, cheer.id, cheer.time) == ("Ann L", "1337", "b34ccfc7", 1_700_000_000.0)
    assert (cheer.kind, cheer.gift, cheer.count, cheer.text) == (CommentKind.GIFT, "bits", 100,
                                                                 "Cheer100 how much is it?")
    assert (raid.kind, raid.count, raid.user) == (CommentKind.ENTER, 42, "Bo")
    assert len(sessions) == 2  # RECONNECT made it connect again


def test_irc_tag_values_are_unescaped() -> None:
    msg = IrcMessage.parse("@a=x\\sy\\:z\\\\;b= :n!u@h PRIVMSG #c :hi : there")
    assert msg.tags == {"a": "x y;z\\", "b": ""}
    assert (msg.nick, msg.command, msg.params) == ("n", "PRIVMSG", ["#c", "hi : there"])


@pytest.mark.slow
async def test_server_pings_are_answered_so_the_server_keeps_us(ircd: IrcServer, comments: Collector) -> None:
    # ngircd's shortest PingTimeout is 5 s: it pings an idle client then and drops it 5 s later without a PONG.
    tasks, out = comments
    chat = _chat(ircd.port, idle_ping_s=60)
    tasks.append(asyncio.create_task(_collect(chat, out)))
    await until(lambda: chat.pongs >= 1, within_s=9)
    viewer = await Viewer.join(ircd.port, "ann")
    viewer.say("after the ping")
    joined, c = await asyncio.wait_for(out.get(), 5), await asyncio.wait_for(out.get(), 5)
    assert (joined.kind, c.text) == (CommentKind.ENTER, "after the ping")
    assert chat.connections == 1
    viewer.close()
