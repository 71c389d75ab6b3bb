"""Every list pages the same way: ``?limit=N`` and the next page's URL in ``Link: <...>; rel="next"``, with an opaque
cursor. Following the links reads each row once, even while rows are added."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_control_support import LiveServer

SCHEDULE = {"kind": "daily", "tz": "UTC", "start": "20:00", "end": "21:00"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("pages")) as s:
        yield s


def follow(server: LiveServer, url: str, between: Callable[[int], Any] = lambda _: None) -> list[dict[str, Any]]:
    """Every row, page by page; ``between(n)`` runs after page n."""
    rows: list[dict[str, Any]] = []
    for n in range(100):
        r = server.client.get(url)
        assert r.status_code == 200, r.text
        rows += r.json()
        if "next" not in r.links:
            return rows
        url = r.links["next"]["url"]
        between(n)
    raise AssertionError("more than 100 pages")


def test_streams_page_in_creation_order_and_one_added_meanwhile_comes_once(server: LiveServer) -> None:
    before = [s["id"] for s in server.client.get("/api/streams").json()]
    made = [server.create_stream(f"room {i}") for i in range(5)]
    late: list[str] = []
    rows = follow(server, "/api/streams?limit=2",
                  lambda n: late.append(server.create_stream("late room")) if n == 0 else None)
    assert [s["id"] for s in rows] == [*before, *made, *late]


def test_the_last_page_has_no_next_link(server: LiveServer) -> None:
    server.create_stream("one more")
    total = len(server.client.get("/api/streams?limit=500").json())
    r = server.client.get(f"/api/streams?limit={total}")
    assert len(r.json()) == total and "next" not in r.links


def test_tokens_and_schedules_page_the_same_way(server: LiveServer) -> None:
    for i in range(3):
        server.client.post("/api/tokens", json={"name": f"t{i}", "role": "developer"})
    tokens = server.client.get("/api/tokens?limit=500").json()
    assert follow(server, "/api/tokens?limit=1") == tokens and len(tokens) >= 4
    sid = server.create_stream("scheduled")
    ids = [server.client.post(f"/api/streams/{sid}/schedules", json=SCHEDULE).json()["id"] for _ in range(3)]
    assert [s["id"] for s in follow(server, f"/api/streams/{sid}/schedules?limit=2")] == ids


def test_runs_page_newest_first_and_a_run_opened_meanwhile_does_not_shift_the_pages(server: LiveServer) -> None:
    sid = server.create_stream("history")
    store = server.services.store
    opened = [store.open_run(sid, "manual").id for _ in range(5)]
    rows = follow(server, f"/api/streams/{sid}/runs?limit=2",
                  lambda n: store.open_run(sid, "manual") if n == 0 else None)
    assert [r["id"] for r in rows] == opened[::-1]


def test_following_the_transcript_reads_every_line_once_including_lines_said_meanwhile(server: LiveServer) -> None:
    sid = server.create_stream("talk")
    store = server.services.store

    def say(*texts: str) -> None:
        store.write_batch([("transcript", {"stream_id": sid, "source": "script", "text": t}) for t in texts])

    say("one", "two", "three")
    r = server.client.get(f"/api/streams/{sid}/transcript?after_id=0&limit=2")
    seen = [line["text"] for line in r.json()]
    say("four")
    r = server.client.get(r.links["next"]["url"])
    seen += [line["text"] for line in r.json()]
    r = server.client.get(r.links["next"]["url"])
    assert r.json() == [] and "next" in r.links  # a feed: nothing new yet, ask the same link again later
    say("five")
    seen += [line["text"] for line in server.client.get(r.links["next"]["url"]).json()]
    assert seen == ["one", "two", "three", "four", "five"]


def test_the_comment_feed_goes_on_from_its_newest_page(server: LiveServer) -> None:
    sid = server.create_stream("chat")
    store = server.services.store

    def comment(*texts: str) -> None:
        store.write_batch([("comment", {"stream_id": sid, "ref": f"r-{t}", "text": t}) for t in texts])

    comment("a", "b", "c")
    r = server.client.get(f"/api/streams/{sid}/comments?limit=2")
    assert [c["text"] for c in r.json()] == ["b", "c"]
    comment("d")
    assert [c["text"] for c in server.client.get(r.links["next"]["url"]).json()] == ["d"]


@pytest.mark.parametrize("cursor", ["garbage!", "bm90IGpzb24", "WyJ0b2tlbnMiLFsxXV0"])  # the last: a tokens cursor
def test_a_cursor_that_is_not_one_of_this_list_is_a_422_naming_the_cursor(server: LiveServer, cursor: str) -> None:
    r = server.client.get(f"/api/streams?cursor={cursor}")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["cursor"]
