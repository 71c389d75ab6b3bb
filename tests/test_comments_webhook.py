"""The generic signed JSON webhook: a real HTTP client posts comments signed with HMAC-SHA256 over the timestamp and
body; forged, stale and replayed requests are refused, repeated ids are offered once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from comment_sources import WAIT_S, Yielded, intake_around, streaming, until

from streamer.comments import CommentKind
from streamer.comments.sources.webhook import MAX_SKEW_S, WebhookSource, parse_url, sign
from streamer.errors import ConfigError

SECRET = "whsec-test-4242"
NOW = 1_717_000_000.0
Hook = tuple[WebhookSource, httpx.AsyncClient, Yielded]


def signed(payload: object, at: float = NOW, secret: str = SECRET) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    stamp = str(int(at))
    return {"X-Timestamp": stamp, "X-Signature": sign(secret, stamp, body),
            "Content-Type": "application/json"}, body


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    source = WebhookSource("127.0.0.1", 0, "/hooks/comments", secret=SECRET, platform="shopify",
                           clock=lambda: NOW)
    async with streaming(source) as (got, _):
        await asyncio.wait_for(source.ready.wait(), WAIT_S)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{source.port}", timeout=WAIT_S) as client:
            yield source, client, got


async def test_a_signed_post_yields_its_comments_with_ids_and_the_urls_platform(hook: Hook) -> None:
    _, client, got = hook
    headers, body = signed([{"id": "w1", "user": "Ann", "text": "price?"},
                            {"id": "w2", "user": "Bo", "kind": "gift", "gift": "rose", "count": 2,
                             "platform": "kuaishou"}])
    answer = await client.post("/hooks/comments", content=body, headers=headers)
    assert answer.status_code == 200
    first, second = await got.take(2)
    assert (first.id, first.user, first.text, first.platform, first.kind) == (
        "w1", "Ann", "price?", "shopify", CommentKind.CHAT)
    assert (second.platform, second.kind, second.gift, second.count) == ("kuaishou", CommentKind.GIFT, "rose", 2)


@pytest.mark.parametrize("forge", ["wrong secret", "tampered body", "re-stamped", "no signature", "no timestamp"])
async def test_a_forged_post_is_refused_with_401(hook: Hook, forge: str) -> None:
    source, client, got = hook
    headers, body = signed({"id": "f1", "user": "Eve", "text": "visit evil.example"},
                           secret="guess" if forge == "wrong secret" else SECRET)
    if forge == "tampered body":
        body = body.replace(b"evil", b"good")
    elif forge == "re-stamped":  # a captured request with a fresh timestamp but the old signature
        headers["X-Timestamp"] = str(int(NOW) + 1)
    elif forge == "no signature":
        del headers["X-Signature"]
    elif forge == "no timestamp":
        del headers["X-Timestamp"]
    assert (await client.post("/hooks/comments", content=body, headers=headers)).status_code == 401
    assert source.rejected == 1
    headers, body = signed({"id": "ok", "user": "Ann", "text": "real"})
    assert (await client.post("/hooks/comments", content=body, headers=headers)).status_code == 200
    assert (await got.next()).id == "ok"
    assert [c.id for c in got.comments] == ["ok"]


@pytest.mark.parametrize("age_s", [MAX_SKEW_S + 1, -(MAX_SKEW_S + 1)])
async def test_a_well_signed_post_outside_five_minutes_is_refused_as_a_replay(hook: Hook, age_s: float) -> None:
    source, client, _ = hook
    headers, body = signed({"id": "old", "user": "Ann", "text": "hi"}, at=NOW - age_s)
    answer = await client.post("/hooks/comments", content=body, headers=headers)
    assert answer.status_code == 401 and "clock" in answer.json()["error"]
    assert source.status.last_error and "clock" in source.status.last_error


async def test_a_signed_body_that_is_not_comments_is_refused_with_400(hook: Hook) -> None:
    source, client, _ = hook
    for payload in ({"id": "k", "kind": "rocket"}, ["not an object"]):
        headers, body = signed(payload)
        assert (await client.post("/hooks/comments", content=body, headers=headers)).status_code == 400
    assert source.rejected == 2 and source.delivered == 0


async def test_a_repeated_post_is_answered_200_and_offered_once() -> None:
    source = WebhookSource("127.0.0.1", 0, "/in", secret=SECRET, clock=lambda: NOW)
    async with intake_around("webhook://127.0.0.1:0/in", source) as (intake, offered):
        await asyncio.wait_for(source.ready.wait(), WAIT_S)
        headers, body = signed({"id": "r1", "user": "Ann", "text": "how much?"})
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{source.port}", timeout=WAIT_S) as client:
            for _ in range(3):  # a sender's retries, or a replay inside the five minutes
                assert (await client.post("/in", content=body, headers=headers)).status_code == 200
        await until(lambda: intake.health()[0]["duplicates"] == 2)
        assert [ref for ref, _ in offered] == ["webhook1:r1"]
        assert offered[0][1]["platform"] == "webhook"


def test_the_url_names_the_listener_and_the_secret_comes_from_the_environment() -> None:
    build = parse_url(urlsplit("webhook://:0/hooks/x?platform=tiktok"))
    source = build({"STREAMER_WEBHOOK_SECRET": SECRET})
    assert isinstance(source, WebhookSource)
    assert (source.host, source.path, source.platform) == ("0.0.0.0", "/hooks/x", "tiktok")
    with pytest.raises(ConfigError, match="STREAMER_WEBHOOK_SECRET"):
        build({})
    with pytest.raises(ValueError, match="path"):
        parse_url(urlsplit("webhook://127.0.0.1:9000"))
    with pytest.raises(ValueError, match="platform"):
        parse_url(urlsplit("webhook://127.0.0.1:9000/x?platform=Not%20Ok"))
