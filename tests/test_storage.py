"""Storage: Alembic migrations build the schema on SQLite and on a real PostgreSQL, and the repository round-trips
everything the control plane keeps (tokens, streams, schedules, runs, transcript, comments, checkpoints)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from postgres_server import PostgresServer
from sqlalchemy import Engine, text
from test_control_support import BRIEF, LiveServer

from streamer.control.storage import Base, Store, hash_token, migrate, open_database
from streamer.control.storage.db import make_engine, table_names
from streamer.control.storage.models import Base as ModelsBase

TABLES = ["alembic_version", "checkpoints", "comments", "recorded_batches", "runs", "schedules", "streams", "tokens",
          "transcript", "written_blocks"]


@pytest.fixture(scope="module")
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port (tests/postgres_server.py)."""
    try:
        server = PostgresServer()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    try:
        server.start()
        yield server.url
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_cluster: str) -> Iterator[str]:
    """The cluster's database, left empty after the test whatever the test did (one cluster serves the module)."""
    yield postgres_cluster
    engine = make_engine(postgres_cluster)
    try:
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    eng = open_database(url)
    yield eng
    eng.dispose()


def test_migrations_build_the_schema_and_match_the_models(engine: Engine) -> None:
    assert table_names(engine) == TABLES
    migrate(engine)  # upgrading an up-to-date database is a no-op
    with engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), ModelsBase.metadata)
    assert drift == [], "models changed without a migration: python -m streamer.control.storage revision"


def test_the_repository_round_trips_a_stream_and_its_history(engine: Engine) -> None:
    store = Store(engine)
    token_row, token = store.create_token("ops", "operator", ["s1"])
    assert store.find_token(token).role == "operator" and token_row.token_hash == hash_token(token)
    assert store.find_token(token + "x") is None

    store.create_stream("s1", "tea room", BRIEF, {"size": "320x180"})
    sched = store.add_schedule("s1", {"kind": "daily", "tz": "Asia/Shanghai", "start": "20:00", "end": "22:00",
                                      "days": [], "products": ["lamp-2"], "rotate_every_s": 60, "enabled": True})
    run = store.open_run("s1", "schedule", sched.id)
    said = datetime(2025, 3, 10, 12, 0, 1, 250000, tzinfo=UTC)
    store.write_batch([
        ("first_frame", {"run_id": run.id, "at": said}),
        ("transcript", {"stream_id": "s1", "run_id": run.id, "said_at": said, "media_t": 3.5, "played_s": 3.2,
                        "complete": True, "source": "script", "product_id": "lamp-2", "text": "欢迎来到直播间"}),
        ("checkpoint", {"stream_id": "s1", "line": {"text": "欢迎来到直播间"}, "at": said}),
        ("comment", {"stream_id": "s1", "run_id": run.id, "received_at": said, "ref": "r1", "user": "小王",
                     "text": "多少钱"}),
        ("decision", {"ref": "r1", "intent": "price", "action": "reply", "reply": "24元", "latency_ms": 3.0}),
        ("checkpoint", {"stream_id": "s1", "product_id": "mat-5", "at": said}),
        ("restart", {"run_id": run.id, "error": "worker exited with status -9"}),
    ])
    store.close_run(run.id, "schedule")

    line = store.list_transcript("s1")[0]
    assert (line.text, line.said_at, line.source) == ("欢迎来到直播间", said, "script")
    comment = store.list_comments("s1")[0]
    assert (comment.user, comment.action, comment.reply) == ("小王", "reply", "24元")
    cp = store.get_checkpoint("s1")
    assert cp.product_id == "mat-5" and cp.recent == [{"text": "欢迎来到直播间"}] and cp.utterances == 1
    got = store.last_run("s1")
    assert got.first_frame_at == said and got.end_reason == "schedule" and got.restarts == 1
    assert got.ended_at.tzinfo is not None

    assert store.delete_stream("s1")
    assert store.list_schedules() == [] and store.list_transcript("s1") == [] and store.get_checkpoint("s1") is None


def test_runs_left_open_by_a_killed_service_are_closed_at_start(engine: Engine) -> None:
    store = Store(engine)
    store.create_stream("s2", "x", BRIEF, {})
    open_run = store.open_run("s2", "manual")
    time.sleep(0.01)
    assert store.close_dangling_runs("service_lost") == 1
    assert store.last_run("s2").end_reason == "service_lost" and store.last_run("s2").id == open_run.id


def test_the_service_runs_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    with LiveServer(tmp_path, db_url=postgres_url) as server:
        sid = server.create_stream("pg room")
        assert server.client.post(f"/api/streams/{sid}/schedules", json={
            "kind": "weekly", "start": "20:00", "end": "22:00", "days": [5, 6]}).status_code == 201
        assert [s["id"] for s in server.client.get("/api/streams").json()] == [sid]
        assert server.client.post("/api/tokens", json={"name": "dev", "role": "developer"}).status_code == 201
    engine = open_database(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM schedules")).scalar() == 1
    engine.dispose()


def test_a_batch_retried_under_its_id_is_written_once(engine: Engine) -> None:
    store = Store(engine)
    store.create_stream("s3", "x", BRIEF, {})
    said = datetime(2025, 3, 10, 12, 0, 1, tzinfo=UTC)
    ops = [("transcript", {"stream_id": "s3", "run_id": None, "said_at": said, "media_t": 1.0, "played_s": 1.0,
                           "complete": True, "source": "script", "product_id": None, "text": "hello"}),
           ("comment", {"stream_id": "s3", "run_id": None, "received_at": said, "ref": "r9", "text": "hi"}),
           ("decision", {"ref": "r9", "intent": "greeting", "action": "reply", "reply": "hi!", "latency_ms": 2.0})]
    assert store.write_batch(ops, "batch-1") is True
    assert store.write_batch(ops, "batch-1") is False  # the retry after a COMMIT whose answer was lost
    assert [line.text for line in store.list_transcript("s3")] == ["hello"]
    assert [(c.ref, c.reply) for c in store.list_comments("s3")] == [("r9", "hi!")]


def test_paging_the_transcript_forward_from_0_reads_every_line_once_in_order(engine: Engine) -> None:
    store = Store(engine)
    store.create_stream("s4", "x", BRIEF, {})
    said = datetime(2025, 3, 10, 12, 0, 1, tzinfo=UTC)
    store.write_batch([("transcript", {"stream_id": "s4", "run_id": None, "said_at": said, "media_t": float(i),
                                       "played_s": 1.0, "complete": True, "source": "script", "product_id": None,
                                       "text": f"line {i}"}) for i in range(25)])
    read, cursor = [], 0
    while page := store.list_transcript("s4", limit=10, after_id=cursor):
        read += [line.text for line in page]
        cursor = page[-1].id
    assert read == [f"line {i}" for i in range(25)]
    assert [line.text for line in store.list_transcript("s4", limit=3)] == ["line 22", "line 23", "line 24"]
