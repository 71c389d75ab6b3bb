"""Storage: Alembic migrations build the schema on SQLite and on a real PostgreSQL, and the repository round-trips
everything the control plane keeps (tokens, streams, schedules, runs, transcript, comments, checkpoints)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ports import PortTaken, on_a_free_port
from sqlalchemy import Engine, text
from test_control_support import BRIEF, LiveServer

from streamer.control.storage import Base, Store, hash_token, migrate, open_database
from streamer.control.storage.db import make_engine, table_names
from streamer.control.storage.models import Base as ModelsBase

TABLES = ["alembic_version", "checkpoints", "comments", "runs", "schedules", "streams", "tokens", "transcript",
          "written_blocks"]


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


PG_START_S = 60  # initdb and start-up on a loaded two-core machine; a server that never comes up fails here
PG_QUERY_S = 30


@pytest.fixture(scope="module")
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (Debian's binaries) on a free loopback port; as user postgres when root."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    data = Path(tempfile.mkdtemp(prefix="streamer-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        shutil.chown(data, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_user, initdb, "-D", str(data / "db"), "-A", "trust", "-U", "streamer", "-E", "UTF8"],
                   check=True, capture_output=True, timeout=PG_START_S)

    def start(port: int) -> int:
        # pg_ctl -w waits for this server's own pid file to say ready: another server on the port cannot fool it
        log = data / f"log-{port}"
        started = subprocess.run([*as_user, pg_ctl, "-D", str(data / "db"), "-l", str(log), "-w",
                                  "-t", str(PG_START_S), "-o",
                                  f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                                 capture_output=True, text=True, timeout=PG_START_S + 10)
        if started.returncode == 0:
            return port
        said = log.read_text(errors="replace") if log.exists() else ""
        if "Address already in use" in said:
            raise PortTaken(port)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}{said[-600:]}")

    port = on_a_free_port(start)
    try:
        # a server that stops answering fails the test: connects and statements (a DROP waiting on a lock) time out
        yield (f"postgresql://streamer@127.0.0.1:{port}/postgres?connect_timeout={PG_QUERY_S}"
               f"&options=-c%20statement_timeout%3D{PG_QUERY_S * 1000}")
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data / "db"), "-m", "immediate", "stop"], capture_output=True,
                       timeout=PG_START_S)
        shutil.rmtree(data, ignore_errors=True)


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
