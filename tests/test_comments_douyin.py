"""Douyin's live data push: a real HTTP client posts deliveries shaped and signed as Douyin's open platform
documents them (valid, forged, unsigned, repeated) to the source listening on a loopback port."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from comment_sources import WAIT_S, Yielded, intake_around, streaming, until

from streamer.comments import CommentKind
from streamer.comments.sources.douyin import DouyinPush, parse_url, signature
from streamer.errors import ConfigError

SECRET = "push-secret-0123"
ROOM = "7123456789012345678"
Push = tuple[DouyinPush, httpx.AsyncClient, Yielded]


def comment(msg_id: str, content: str) -> dict[str, object]:
    return {"msg_id": msg_id, "sec_openid": "sec-ann", "content": content, "avatar_url": "https://p3.douyinpic.com/a",
            "nickname": "Ann", "timestamp": 1717000000123}


def delivery(msg_type: str, items: list[dict[str, object]], secret: str = SECRET,
             room: str = ROOM) -> tuple[dict[str, str], bytes]:
    body = json.dumps(items, ensure_ascii=False).encode()
    headers = {"x-roomid": room, "x-msg-type": msg_type, "x-nonce-str": uuid.uuid4().hex,
               "x-timestamp": "1717000000456", "content-type": "application/json"}
    headers["x-signature"] = signature(headers, body, secret)
    return headers, body


@pytest.fixture
async def push() -> AsyncIterator[Push]:
    source = DouyinPush("127.0.0.1", 0, "/douyin/push", secret=SECRET)
    async with streaming(source) as (got, _):
        await asyncio.wait_for(source.ready.wait(), WAIT_S)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{source.port}", timeout=WAIT_S) as client:
            yield source, client, got


def test_the_signature_is_the_one_in_douyins_documentation() -> None:
    headers = {"x-nonce-str": "123456", "x-timestamp": "456789", "x-roomid": "268", "x-msg-type": "live_gift"}
    assert signature(headers, "abc123你好".encode(), "123abc") == "PDcKhdlsrKEJif6uMKD2dw=="


async def test_a_signed_delivery_is_answered_200_and_its_comments_come_out(
        push: Push) -> None:
    source, client, got = push
    headers, body = delivery("live_comment", [comment("m1", "多少钱?"), comment("m2", "有大码吗")])
    answer = await client.post("/douyin/push", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json() == {"err_no": 0, "err_msg": "success"}
    first, second = await got.take(2)
    assert (first.id, first.user, first.user_id, first.text, first.platform, first.kind) == (
        "m1", "Ann", "sec-ann", "多少钱?", "douyin", CommentKind.CHAT)
    assert first.time == 1717000000.123
    assert second.text == "有大码吗"


@pytest.mark.parametrize("forge", ["wrong secret", "tampered body", "tampered room", "unsigned"])
async def test_a_forged_delivery_is_refused_with_401_and_yields_nothing(
        push: Push, forge: str) -> None:
    source, client, got = push
    headers, body = delivery("live_comment", [comment("f1", "free stuff at evil.example")],
                             secret="not-the-secret" if forge == "wrong secret" else SECRET)
    if forge == "tampered body":
        body = body.replace(b"evil", b"good")
    elif forge == "tampered room":
        headers["x-roomid"] = "1"
    elif forge == "unsigned":
        del headers["x-signature"]
    answer = await client.post("/douyin/push", content=body, headers=headers)
    assert answer.status_code == 401
    assert source.rejected == 1 and source.status.last_error and "refused" in source.status.last_error
    headers, body = delivery("live_comment", [comment("ok", "a real one")])  # the next genuine delivery is read
    assert (await client.post("/douyin/push", content=body, headers=headers)).status_code == 200
    assert (await got.next()).id == "ok"
    assert [c.id for c in got.comments] == ["ok"]


async def test_gifts_likes_and_fan_club_joins_become_their_kinds(push: Push) -> None:
    source, client, got = push
    base = {"sec_openid": "sec-bo", "nickname": "Bo", "avatar_url": "", "timestamp": 1717000001000}
    sent = [("live_gift", {**base, "msg_id": "g1", "sec_gift_id": "n1/Dg1905sj1Fy", "gift_num": 3, "gift_value": 30}),
            ("live_like", {**base, "msg_id": "l1", "like_num": 12}),
            ("live_fansclub", {**base, "msg_id": "f1", "fansclub_reason_type": 2, "fansclub_level": 1})]
    for msg_type, item in sent:
        headers, body = delivery(msg_type, [item])
        assert (await client.post("/douyin/push", content=body, headers=headers)).status_code == 200
    assert [(c.kind, c.gift, c.count, c.user) for c in await got.take(3)] == [
        (CommentKind.GIFT, "n1/Dg1905sj1Fy", 3, "Bo"), (CommentKind.LIKE, "", 12, "Bo"),
        (CommentKind.FOLLOW, "", 1, "Bo")]


async def test_deliveries_are_answered_while_nobody_reads_the_comments() -> None:
    source = DouyinPush("127.0.0.1", 0, secret=SECRET)
    stream = source.stream()
    first = asyncio.ensure_future(anext(stream))  # listening; then the consumer stops reading
    try:
        await asyncio.wait_for(source.ready.wait(), WAIT_S)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{source.port}", timeout=2.0) as client:
            for n in range(20):  # Douyin's limit is 2 s per answer: none of them waits for a reader
                headers, body = delivery("live_comment", [comment(f"q{n}", "在吗")])
                assert (await client.post("/", content=body, headers=headers)).status_code == 200
        assert (await asyncio.wait_for(first, WAIT_S)).id == "q0"
        assert source.delivered == 20
    finally:
        first.cancel()
        await stream.aclose()


async def test_a_repeated_delivery_is_answered_200_and_offered_once() -> None:
    source = DouyinPush("127.0.0.1", 0, secret=SECRET)
    async with intake_around("douyin-push://127.0.0.1:0", source) as (intake, offered):
        await asyncio.wait_for(source.ready.wait(), WAIT_S)
        headers, body = delivery("live_comment", [comment("dup1", "还有货吗")])
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{source.port}", timeout=WAIT_S) as client:
            for _ in range(2):  # Douyin retries when it missed our answer: the same msg_id again
                assert (await client.post("/", content=body, headers=headers)).status_code == 200
        await until(lambda: intake.health()[0]["duplicates"] == 1)
        assert [ref for ref, _ in offered] == ["douyinpush1:dup1"]


async def test_deliveries_for_another_room_are_acknowledged_and_dropped() -> None:
    source = DouyinPush("127.0.0.1", 0, secret=SECRET, room=ROOM)
    async with streaming(source) as (got, _):
        await asyncio.wait_for(source.ready.wait(), WAIT_S)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{source.port}", timeout=WAIT_S) as client:
            for room, msg_id in (("42", "other"), (ROOM, "ours")):
                headers, body = delivery("live_comment", [comment(msg_id, "hi")], room=room)
                assert (await client.post("/", content=body, headers=headers)).status_code == 200
        assert (await got.next()).id == "ours"
        assert [c.id for c in got.comments] == ["ours"]


async def test_requests_that_are_not_deliveries_get_http_errors(push: Push) -> None:
    source, client, got = push
    headers, body = delivery("live_comment", [comment("x", "x")])
    assert (await client.get("/douyin/push")).status_code == 405
    assert (await client.post("/elsewhere", content=body, headers=headers)).status_code == 404
    not_json, _ = delivery("live_comment", [])
    not_json["x-signature"] = signature(not_json, b"{oops", SECRET)
    assert (await client.post("/douyin/push", content=b"{oops", headers=not_json)).status_code == 400
    assert (await client.post("/douyin/push", content=b"x" * (2 * 1024 * 1024), headers=headers)).status_code == 413


def test_the_url_names_the_listener_and_the_secret_comes_from_the_environment() -> None:
    build = parse_url(urlsplit("douyin-push://127.0.0.1:0/cb?room=123"))
    source = build({"STREAMER_DOUYIN_PUSH_SECRET": SECRET})
    assert isinstance(source, DouyinPush) and (source.host, source.path, source.room) == ("127.0.0.1", "/cb", "123")
    with pytest.raises(ConfigError, match="STREAMER_DOUYIN_PUSH_SECRET"):
        build({})
    with pytest.raises(ValueError, match="port"):
        parse_url(urlsplit("douyin-push://127.0.0.1"))
    with pytest.raises(ValueError, match="room"):
        parse_url(urlsplit("douyin-push://:8443?room=abc"))


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


async def test_douyin_can_be_served_over_https_with_a_certificate_from_the_environment(
        certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    source = parse_url(urlsplit("douyin-push://127.0.0.1:0/cb"))(
        {"STREAMER_DOUYIN_PUSH_SECRET": SECRET, "STREAMER_DOUYIN_TLS_CERT": str(cert),
         "STREAMER_DOUYIN_TLS_KEY": str(key)})
    assert isinstance(source, DouyinPush)
    async with streaming(source) as (got, _):
        await asyncio.wait_for(source.ready.wait(), WAIT_S)
        trusted = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(base_url=f"https://127.0.0.1:{source.port}", verify=trusted,
                                     timeout=WAIT_S) as client:
            headers, body = delivery("live_comment", [comment("t1", "over TLS")])
            assert (await client.post("/cb", content=body, headers=headers)).status_code == 200
        assert (await got.next()).id == "t1"
    with pytest.raises(ConfigError, match="key file"):
        parse_url(urlsplit("douyin-push://:0"))({"STREAMER_DOUYIN_PUSH_SECRET": SECRET,
                                                 "STREAMER_DOUYIN_TLS_CERT": str(cert)})


async def test_bytes_that_are_not_http_are_answered_400(push: Push) -> None:
    source, _, got = push
    reader, writer = await asyncio.open_connection("127.0.0.1", source.port)
    try:
        writer.write(b"HELLO DOUYIN\r\n\r\n")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), WAIT_S)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 400")
    assert got.pending() == 0
