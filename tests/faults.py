"""What the fault-matrix tests share: how long to run, and where their figures go.

The same tests run in CI (short) and from ``scripts/chaos.py`` (long): ``scale()`` stretches their durations (env
``STREAMER_CHAOS_SCALE``, default 1), and ``figure()`` appends what a test measured to the JSON-lines file named by
``STREAMER_CHAOS_OUT`` (nothing is written when it is unset), so ``docs/reliability.md`` quotes measured numbers.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

SCALE_ENV = "STREAMER_CHAOS_SCALE"
OUT_ENV = "STREAMER_CHAOS_OUT"


def scale() -> float:
    """How much longer than in CI each fault scenario runs (1 in CI)."""
    return max(1.0, float(os.environ.get(SCALE_ENV) or 1))


def figure(fault: str, **measured: Any) -> None:
    """Record one fault scenario's measured figures (e.g. ``gap_ms=33.3, late_frames=0``)."""
    out = os.environ.get(OUT_ENV)
    if not out:
        return
    row = {"fault": fault, "scale": scale(), "at": round(time.time(), 3), **measured}
    with Path(out).open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
