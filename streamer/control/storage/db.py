"""Database engine and migrations: SQLite file by default, PostgreSQL (or anything SQLAlchemy speaks) by URL.

``open_database(url)`` creates the engine and brings the schema to the newest Alembic revision, so a fresh
install and an upgrade are the same step. Blocking: call it off the event loop.

    python -m streamer.control.storage upgrade --db sqlite:///streamer.db
    python -m streamer.control.storage revision -m "add a column" --db sqlite:///dev.db   # autogenerate
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect

MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_URL = "sqlite:///streamer.db"
# how long an SQLite statement waits for another connection's write lock before it fails with "database is locked":
# longer than any lock the service itself takes, short enough that a thread is not parked for half a minute (the
# recorder keeps a failed batch and retries it)
SQLITE_BUSY_TIMEOUT_S = 5.0


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")  # psycopg 3, not the psycopg2 default
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            # WAL: the API reads while the recorder writes; foreign keys: deleting a stream deletes its rows
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(url: str = DEFAULT_URL) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m streamer.control.storage")
    p.add_argument("action", choices=["upgrade", "revision"])
    p.add_argument("--db", default=DEFAULT_URL)
    p.add_argument("-m", "--message", default="change")
    args = p.parse_args(argv)
    engine = make_engine(args.db)
    if args.action == "upgrade":
        migrate(engine)
        return
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=args.message, autogenerate=True)

