"""`streamer serve`: the control plane (REST, /ws, web panel) with its scheduler and worker processes."""

from __future__ import annotations

import argparse
import logging
import os
import re
from pathlib import Path
from types import FrameType

from ..errors import ConfigError

_TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """Browsers pass the token in the URL (WebSocket, MJPEG <img>): keep it out of the access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_URL.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the control plane: web panel, REST and WebSocket API, scheduler")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--db", default=os.environ.get("STREAMER_DB", "sqlite:///streamer.db"), metavar="URL",
                   help="database URL: sqlite:///PATH (default sqlite:///streamer.db) or "
                        "postgresql://user:pass@host/db")
    p.add_argument("--data-dir", default="streamer-data",
                   help="where recordings and the workers' sockets go (default ./streamer-data)")
    p.add_argument("--max-streams", type=int, default=16, help="streams this server runs at once (default 16)")
    p.add_argument("--keep-streams-on-exit", action="store_true",
                   help="on SIGTERM/Ctrl-C leave the running streams on air for the next `streamer serve` on the "
                        "same --data-dir and database to adopt (an upgrade); by default they are stopped. A killed "
                        "or crashed service always leaves them on air for STREAMER_WORKER_ORPHAN_S seconds "
                        "(default 300)")
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("streamer serve needs uvicorn: pip install uvicorn") from None
    from ..control import ServiceSettings, create_app

    if not 0 < args.port < 65536:
        raise ConfigError(f"--port {args.port}: must be 1..65535")
    if args.max_streams < 1:
        raise ConfigError(f"--max-streams {args.max_streams}: must be at least 1")
    settings = ServiceSettings(db_url=args.db, data_dir=Path(args.data_dir), max_streams=args.max_streams,
                               worker_log_level=logging.getLogger().level or logging.INFO,
                               keep_streams_on_exit=args.keep_streams_on_exit)
    app = create_app(settings)
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # uvicorn lets open HTTP responses finish before the app's shutdown runs, and an MJPEG preview never
            # finishes: end the previews first so SIGINT/SIGTERM stops the service in seconds
            svc = getattr(app.state, "services", None)
            if svc is not None:
                svc.loop.call_soon_threadsafe(svc.previews.close)
            super().handle_exit(sig, frame)

    # on SIGINT/SIGTERM the app's lifespan stops every worker cleanly (outputs flushed, runs closed), or with
    # --keep-streams-on-exit hangs up on them and leaves them on air
    Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=15,
                          ws_ping_interval=20)).run()
    return 0
