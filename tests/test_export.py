"""Search and export of a stream's transcript and comments, for compliance: a phrase said on air and a comment a
viewer wrote are found, a time range bounds what is read, the CSV parses back to the rows the list shows (quoting,
Chinese, a BOM for Excel, formulas neutralised), JSON lines parse, bad parameters are 422 problems naming them, and
100k rows export in flat memory. On SQLite and on a real PostgreSQL, against the served API."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from postgres_server import PostgresServer
from sqlalchemy import insert
from test_control_support import LiveServer, wait_for

from streamer.control.storage.models import TranscriptLine

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ROWS_100K = 100_000


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root: Path = tmp_path_factory.mktemp(f"export-{request.param}")
    if request.param == "sqlite":
        with LiveServer(root) as s:
            yield s
        return
    try:
        pg = PostgresServer()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    try:
        pg.start()
        with LiveServer(root, db_url=pg.url) as s:
            yield s
    finally:
        pg.remove()


@pytest.fixture(scope="module")
def on_air(server: LiveServer) -> dict[str, Any]:
    """A stream that talked for a few seconds and answered two viewers (one in Chinese); stopped again."""
    sid = server.create_stream("compliance room")
    server.start_live(sid)
    for user, text in (("ann", "does it need batteries?"), ("小王", "能装开水吗")):
        r = server.client.post(f"/api/streams/{sid}/commands", json={"type": "comment", "user": user, "text": text})
        assert r.status_code == 200, r.text
    wait_for(lambda: sum(bool(c["action"]) for c in server.client.get(f"/api/streams/{sid}/comments").json()) == 2,
             60, "both comments decided", every_s=0.5)
    wait_for(lambda: len(server.client.get(f"/api/streams/{sid}/transcript").json()) >= 3, 60,
             "three lines said", every_s=0.5)
    server.client.post(f"/api/streams/{sid}/stop")
    server.wait_state(sid, "stopped", 30)
    return {"id": sid, "lines": server.client.get(f"/api/streams/{sid}/transcript?limit=1000").json()}


def _comments(server: LiveServer, texts: list[str], every_min: int = 30) -> str:
    """A fresh stream whose comments are ``texts``, received ``every_min`` minutes apart from T0."""
    sid = server.create_stream("chat log")
    server.services.store.write_batch([("comment", {
        "stream_id": sid, "ref": f"r{i}", "user": "viewer", "text": t, "received_at": T0 + timedelta(minutes=i * every_min),
        "intent": "other", "action": "ignore"}) for i, t in enumerate(texts)])
    return sid


def _csv(r: httpx.Response) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.content.startswith("\ufeff".encode())  # the BOM: Excel reads the UTF-8 (Chinese) right
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def _as_cells(row: dict[str, Any]) -> list[str]:
    return ["" if v is None else ("true" if v is True else "false" if v is False else str(v)) for v in row.values()]


@pytest.mark.slow
def test_a_phrase_said_on_air_is_found_whatever_its_case(server: LiveServer, on_air: dict[str, Any]) -> None:
    said = on_air["lines"][1]
    phrase = " ".join(said["text"].split()[1:3]).upper()
    found = server.client.get(f"/api/streams/{on_air['id']}/transcript",
                              params={"q": phrase, "after_id": 0, "limit": 1000}).json()
    assert said["id"] in [line["id"] for line in found]
    assert all(phrase.lower() in line["text"].lower() for line in found)
    assert server.client.get(f"/api/streams/{on_air['id']}/transcript", params={"q": "zebra crossing"}).json() == []


@pytest.mark.slow
def test_a_comment_is_found_by_a_chinese_phrase_and_by_its_decision(server: LiveServer,
                                                                    on_air: dict[str, Any]) -> None:
    url = f"/api/streams/{on_air['id']}/comments"
    (found,) = server.client.get(url, params={"q": "开水"}).json()
    assert (found["user"], found["text"]) == ("小王", "能装开水吗")
    assert found["id"] in [c["id"] for c in server.client.get(url, params={"decision": found["action"]}).json()]
    other = "block" if found["action"] != "block" else "ignore"
    assert found["id"] not in [c["id"] for c in server.client.get(url, params={"decision": other}).json()]


@pytest.mark.slow
def test_the_transcript_said_on_air_exports_as_csv_that_parses_back_to_the_listed_rows(
        server: LiveServer, on_air: dict[str, Any]) -> None:
    lines = server.client.get(f"/api/streams/{on_air['id']}/transcript?limit=1000").json()
    header, *rows = _csv(server.client.get(f"/api/streams/{on_air['id']}/transcript/export?format=csv"))
    assert header == list(lines[0])
    assert rows == [_as_cells(line) for line in lines] and len(rows) >= 3


@pytest.mark.slow
def test_the_comments_export_as_json_lines_equal_to_the_listed_comments(server: LiveServer,
                                                                         on_air: dict[str, Any]) -> None:
    listed = server.client.get(f"/api/streams/{on_air['id']}/comments?limit=1000").json()
    r = server.client.get(f"/api/streams/{on_air['id']}/comments/export?format=jsonl")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in r.text.splitlines()] == listed and len(listed) == 2


def test_quotes_commas_newlines_and_chinese_survive_the_csv(server: LiveServer) -> None:
    texts = ['say "hi", then go', "two\nlines, one comment", "保温杯，能装开水吗？“好”", "plain"]
    sid = _comments(server, texts)
    header, *rows = _csv(server.client.get(f"/api/streams/{sid}/comments/export"))
    assert [row[header.index("text")] for row in rows] == texts


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_neutralised(server: LiveServer) -> None:
    texts = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "fine = ok"]
    sid = _comments(server, texts)
    header, *rows = _csv(server.client.get(f"/api/streams/{sid}/comments/export?format=csv"))
    assert [row[header.index("text")] for row in rows] == ["'" + t for t in texts[:5]] + ["fine = ok"]
    jsonl = server.client.get(f"/api/streams/{sid}/comments/export?format=jsonl").text
    assert [json.loads(line)["text"] for line in jsonl.splitlines()] == texts  # JSON is data: kept as written


def test_a_time_range_is_from_inclusive_to_exclusive_in_any_zone(server: LiveServer) -> None:
    sid = _comments(server, ["10:00", "10:30", "11:00", "11:30"])
    window = {"from": "2026-12-01T18:30:00+08:00", "to": "2026-12-01T11:30:00Z"}  # 10:30 UTC .. 11:30 UTC
    listed = server.client.get(f"/api/streams/{sid}/comments", params=window).json()
    exported = server.client.get(f"/api/streams/{sid}/comments/export", params={**window, "format": "jsonl"}).text
    assert [c["text"] for c in listed] == ["10:30", "11:00"]
    assert [json.loads(line)["text"] for line in exported.splitlines()] == ["10:30", "11:00"]


def test_a_search_pages_with_the_cursor_and_the_next_page_keeps_the_filter(server: LiveServer) -> None:
    sid = _comments(server, [f"{'lamp' if i % 2 else 'mat'} {i}" for i in range(10)], every_min=1)
    r = server.client.get(f"/api/streams/{sid}/comments", params={"q": "LAMP", "after_id": 0, "limit": 2})
    seen = []
    while r.json():
        seen += [c["text"] for c in r.json()]
        r = server.client.get(r.links["next"]["url"])
    assert seen == ["lamp 1", "lamp 3", "lamp 5", "lamp 7", "lamp 9"]


def test_the_download_is_named_after_the_stream_and_the_range(server: LiveServer) -> None:
    sid = _comments(server, ["x"])
    r = server.client.get(f"/api/streams/{sid}/comments/export",
                          params={"format": "jsonl", "from": "2026-12-01T08:00:00+08:00"})
    assert r.headers["content-disposition"] == f'attachment; filename="{sid}-comments-20261201T000000Z-now.jsonl"'


@pytest.mark.parametrize(("path", "params", "field"), [
    ("transcript", {"from": "2026-12-01T10:00:00"}, "from"),  # no zone: which 10:00?
    ("transcript/export", {"to": "yesterday"}, "to"),
    ("transcript", {"source": "robot"}, "source"),
    ("comments/export", {"decision": "maybe"}, "decision"),
    ("comments/export", {"format": "xlsx"}, "format"),
    ("comments", {"from": "2026-12-01T12:00:00Z", "to": "2026-12-01T11:00:00Z"}, "to"),
    ("comments", {"q": "x" * 201}, "q"),
    ("comments", {"q": "a\x00b"}, "q"),  # PostgreSQL text cannot hold it
    ("transcript/export", {"from": "0001-01-01T00:00:00+14:00"}, "from"),  # before year 1 in UTC
])
def test_a_bad_parameter_is_a_422_problem_naming_it(server: LiveServer, path: str, params: dict[str, str],
                                                    field: str) -> None:
    sid = _comments(server, ["x"])
    r = server.client.get(f"/api/streams/{sid}/{path}", params=params)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_an_export_needs_a_token_that_may_read_the_stream(server: LiveServer) -> None:
    sid, elsewhere = _comments(server, ["x"]), _comments(server, ["y"])
    made = server.client.post("/api/tokens", json={"name": "auditor", "role": "developer", "streams": [sid]})
    token = made.json()["token"]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as auditor:
        assert auditor.get(f"/api/streams/{sid}/comments/export").status_code == 200
        assert auditor.get(f"/api/streams/{elsewhere}/comments/export").status_code == 404
    assert httpx.get(f"{server.url}/api/streams/{sid}/transcript/export").status_code == 401


def test_100k_lines_export_in_flat_memory(server: LiveServer, record_property: Any) -> None:
    sid = server.create_stream("a long day")
    line = {"stream_id": sid, "source": "script", "media_t": 1.0, "played_s": 1.0, "complete": True,
            "product_id": "cup-01", "text": "这款保温杯12小时保温, \"一键开盖\"单手喝水, only 99 today"}
    with server.services.store.session() as s:
        for start in range(0, ROWS_100K, 10_000):
            s.execute(insert(TranscriptLine), [{**line, "said_at": T0 + timedelta(seconds=i)}
                                               for i in range(start, start + 10_000)])
    rows = size = 0
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        with server.client.stream("GET", f"/api/streams/{sid}/transcript/export?format=csv") as r:
            for chunk in r.iter_bytes():
                size += len(chunk)
                rows += chunk.count(b"\r\n")
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    record_property("export_bytes", size)
    record_property("peak_growth_bytes", peak)
    print(f"100k-row CSV export: {size} bytes, peak traced memory growth {peak} bytes")
    assert rows == ROWS_100K + 1  # the header and every line
    assert peak < size / 4  # a page at a time: a file held whole would take more than its size
