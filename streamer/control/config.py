"""Service settings: one dataclass, filled from ``streamer serve`` flags (tests build it directly).

Workers outlive the service (supervisor/worker.py): ``worker_orphan_s`` (env ``STREAMER_WORKER_ORPHAN_S``, default
300) is how long one streams on with no service before it stops by itself; 0 ends it with the service, as a
worker tied to its parent would. ``keep_streams_on_exit`` makes a graceful stop (SIGTERM, Ctrl-C) leave the running
streams on air for the next service to adopt (an upgrade); by default a graceful stop stops them (an operator who
stops the service means it), and only a crash or a kill leaves them on air.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from .alert_webhook import check_webhook_url
from .alerts import AlertRules
from .scheduler.scheduler import START_LEAD_S
from .storage.db import DEFAULT_URL
from .supervisor.supervisor import EVENTS_KEPT, ORPHAN_S, RESTART_BACKOFF_S

ORPHAN_ENV = "STREAMER_WORKER_ORPHAN_S"
ALERT_WEBHOOK_ENV = "STREAMER_ALERT_WEBHOOK"
ALERT_SECRET_ENV = "STREAMER_ALERT_SECRET"  # signs every alert webhook (HMAC-SHA256); never logged


def _orphan_s() -> float:
    raw = os.environ.get(ORPHAN_ENV) or str(ORPHAN_S)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{ORPHAN_ENV}={raw!r}: seconds expected (e.g. 300; 0: workers end with the service)") \
            from None
    if not value >= 0:
        raise ConfigError(f"{ORPHAN_ENV}={raw!r}: must be 0 or more seconds")
    return value


def _alert_webhook() -> str | None:
    url = os.environ.get(ALERT_WEBHOOK_ENV) or None
    try:
        return check_webhook_url(url) if url else None
    except ValueError as e:
        raise ConfigError(f"{ALERT_WEBHOOK_ENV}: {e}") from None


@dataclass(slots=True)
class ServiceSettings:
    db_url: str = DEFAULT_URL
    data_dir: Path = field(default_factory=lambda: Path("streamer-data"))  # recordings, workers/ (their sockets)
    max_streams: int = 16
    scheduler_tick_s: float = 1.0
    schedule_lead_s: float = START_LEAD_S  # a window's stream starts this much ahead, on air at the opening
    preview_fps: float = 8.0
    preview_width: int = 480
    restart_backoff_s: tuple[float, ...] = RESTART_BACKOFF_S
    worker_log_level: int = logging.INFO
    worker_orphan_s: float = field(default_factory=_orphan_s)
    worker_events_kept: int = EVENTS_KEPT
    keep_streams_on_exit: bool = False
    announce_admin_token: bool = True  # print a generated first admin token on stderr
    # the first admin token; stored hashed, always valid. None: generate one at first start
    admin_token: str | None = field(default_factory=lambda: os.environ.get("STREAMER_ADMIN_TOKEN") or None)
    # alerts (control/alerts.py): the thresholds, and where they are POSTed signed (control/alert_webhook.py)
    alert_rules: AlertRules = field(default_factory=AlertRules)
    alert_webhook: str | None = field(default_factory=_alert_webhook)
    alert_secret: str | None = field(default_factory=lambda: os.environ.get(ALERT_SECRET_ENV) or None, repr=False)

    @property
    def worker_dir(self) -> Path:
        """The workers' sockets and event notes (mode 0700)."""
        return self.data_dir / "workers"
