"""The Comment model, the service's own payloads and the collector bridge (dy-barrage-grab shape, over a real
WebSocket)."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.server import ServerConnection, serve

from streamer.comments import (
    BridgeSource,
    Comment,
    CommentError,
    CommentInbox,
    CommentKind,
    parse_bridge_message,
    parse_payload,
    parse_payloads,
)
from streamer.comments.model import MAX_TEXT_CHARS
from streamer.comments.sources.base import Backoff


def test_comment_text_is_bounded_and_stripped_of_invisible_characters() -> None:
    c = Comment("hi\u202e\x1b[31m there\u200b  " + "x" * 1000, user="\x00ann\u2066")
    assert c.text.startswith("hi[31m there x")
    assert len(c.text) == MAX_TEXT_CHARS
    assert c.user == "ann"


def test_a_long_comment_keeps_its_start_and_the_question_at_its_end() -> None:
    c = Comment("主播我跟你说，" + "今天加班好累路上还堵车，" * 40 + "这件外套多少钱？")
    assert len(c.text) == MAX_TEXT_CHARS
    assert c.text.startswith("主播我跟你说，") and c.text.endswith("这件外套多少钱？") and "…" in c.text


def test_minimal_payload_is_a_chat_comment() -> None:
    c = parse_payload('{"user": "ann", "text": "多少钱"}')
    assert (c.user, c.text, c.kind, c.platform) == ("ann", "多少钱", CommentKind.CHAT, "api")


def test_payload_kind_aliases_ids_and_millisecond_times() -> None:
    c = parse_payload({"user": "b", "kind": "join", "user_id": 42, "time": 1_700_000_000_000})
    assert (c.kind, c.user_id, c.time) == (CommentKind.ENTER, "42", 1_700_000_000.0)


@pytest.mark.parametrize("body, message", [
    ("not json", "not JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"text": "x", "kind": "dance"}', "kind"),
    ('{"text": "x", "count": 0}', "count"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_bad_payloads_say_what_is_wrong(body: str | bytes, message: str) -> None:
    with pytest.raises(CommentError, match=message):
        parse_payloads(body)


def test_batches_are_bounded() -> None:
    assert len(parse_payloads([{"text": "a"}, {"text": "b"}])) == 2
    with pytest.raises(CommentError, match="at most"):
        parse_payloads([{"text": "a"}] * 1000)


def _dy(type_: int, **data: object) -> str:
    return json.dumps({"Type": type_, "ProcessName": "DouyinLive", "Data": json.dumps(data, ensure_ascii=False)},
                      ensure_ascii=False)


USER = {"Id": 111, "Nickname": "用户A", "SecUid": "sec123"}


def test_dy_barrage_grab_envelopes_map_to_comment_kinds() -> None:
    chat = parse_bridge_message(_dy(1, MsgId=123456, User=USER, Content="还有货吗", RoomId="8888"))
    gift = parse_bridge_message(_dy(5, User=USER, GiftName="小心心", GiftCount=1, RepeatCount=10))
    like = parse_bridge_message(_dy(2, User=USER, Count=15, Total=1000))
    assert chat is not None and gift is not None and like is not None
    assert (chat.kind, chat.user, chat.user_id, chat.id, chat.text, chat.platform) == (
        CommentKind.CHAT, "用户A", "111", "123456", "还有货吗", "douyin")
    assert (gift.kind, gift.gift, gift.count) == (CommentKind.GIFT, "小心心", 10)
    assert (like.kind, like.count) == (CommentKind.LIKE, 15)
    assert parse_bridge_message(_dy(3, User=USER)).kind is CommentKind.ENTER  # type: ignore[union-attr]
    assert parse_bridge_message(_dy(4, User=USER)).kind is CommentKind.FOLLOW  # type: ignore[union-attr]
    assert parse_bridge_message(_dy(6, OnlineUserCount=100)) is None  # room statistics are not a comment


def test_bridge_reads_plain_payloads_too_and_rejects_broken_envelopes() -> None:
    c = parse_bridge_message({"user": "k", "text": "包邮吗"}, platform="kuaishou")
    assert (c.platform, c.text) == ("kuaishou", "包邮吗")  # type: ignore[union-attr]
    with pytest.raises(CommentError):
        parse_bridge_message('{"Type": 1, "Data": "{not json"}')


async def test_bridge_source_reads_a_collector_websocket_and_reconnects() -> None:
    connections = 0

    async def collector(ws: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            await ws.send(_dy(1, User=USER, Content="多少钱"))
            await ws.send("garbage")
            await ws.send(_dy(6, OnlineUserCount=5))
            await ws.send(_dy(5, User=USER, GiftName="玫瑰", RepeatCount=3))
        else:
            await ws.send(_dy(1, User=USER, Content="又来了"))
        await ws.close()  # the collector restarts: the bridge must come back

    async with serve(collector, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        source = BridgeSource(f"ws://127.0.0.1:{port}", backoff=Backoff(initial_s=0.01), max_reconnects=1)
        got = await asyncio.wait_for(_drain(source), 10)
    assert [(c.kind, c.text or c.gift) for c in got] == [
        (CommentKind.CHAT, "多少钱"), (CommentKind.GIFT, "玫瑰"), (CommentKind.CHAT, "又来了")]
    assert source.dropped == 1
    assert connections == 2


async def test_bridge_source_gives_up_only_when_told_to(refused_port_number: int) -> None:
    source = BridgeSource(f"ws://127.0.0.1:{refused_port_number}", backoff=Backoff(initial_s=0.001, max_s=0.002), max_reconnects=3)
    got = await asyncio.wait_for(_drain(source), 5)
    assert got == []
    assert source.backoff.failures == 3


async def _drain(source: BridgeSource) -> list[Comment]:
    return [c async for c in source.stream()]


# --- the service's own inbox (HTTP POST bodies and WebSocket messages) -------------------------------------------

async def test_inbox_hands_posted_comments_to_the_session_in_order() -> None:
    inbox = CommentInbox()
    reader = asyncio.create_task(_drain_inbox(inbox))
    await asyncio.sleep(0)  # the session is waiting before anything arrives
    assert inbox.post('{"user": "ann", "text": "多少钱"}') == 1
    assert inbox.post(b'[{"user": "bob", "text": "a"}, {"user": "cy", "kind": "gift", "gift": "rose"}]') == 2
    inbox.close()
    got = await asyncio.wait_for(reader, 5)
    assert [(c.user, c.kind) for c in got] == [("ann", CommentKind.CHAT), ("bob", CommentKind.CHAT),
                                               ("cy", CommentKind.GIFT)]


def test_inbox_is_bounded_and_drops_the_oldest_in_a_flood() -> None:
    inbox = CommentInbox(maxsize=100)
    for i in range(10_000):
        inbox.post({"user": f"u{i}", "text": f"flood {i}"})
    assert len(inbox) == 100 and inbox.dropped == 9_900
    with pytest.raises(CommentError):
        inbox.post("{broken")


async def _drain_inbox(inbox: CommentInbox) -> list[Comment]:
    return [c async for c in inbox.stream()]
