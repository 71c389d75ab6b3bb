"""Service settings: one dataclass, filled from ``streamer serve`` flags (tests build it directly)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .storage.db import DEFAULT_URL
from .supervisor.supervisor import RESTART_BACKOFF_S


@dataclass(slots=True)
class ServiceSettings:
    db_url: str = DEFAULT_URL
    data_dir: Path = field(default_factory=lambda: Path("streamer-data"))  # recordings
    max_streams: int = 16
    scheduler_tick_s: float = 1.0
    preview_fps: float = 8.0
    preview_width: int = 480
    restart_backoff_s: tuple[float, ...] = RESTART_BACKOFF_S
    worker_log_level: int = logging.INFO
    announce_admin_token: bool = True  # print a generated first admin token on stderr
    # the first admin token; stored hashed, always valid. None: generate one at first start
    admin_token: str | None = field(default_factory=lambda: os.environ.get("STREAMER_ADMIN_TOKEN") or None)
