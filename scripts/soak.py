#!/usr/bin/env python3
"""Soak test: run one session for a long stretch and watch for leaks, drift and repetition. Prints JSON.

  .venv/bin/python scripts/soak.py --minutes 30                 # media minutes, rendered as fast as possible
  .venv/bin/python scripts/soak.py --minutes 60 --realtime      # paced like a live stream

Reports resident memory over time (first and last sample after warm-up, and the growth per media hour), whether
frame and sample counters still agree exactly, late frames (real time only), and how often sentences repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamer.brief import load_brief  # noqa: E402
from streamer.media.encoder import VideoSettings  # noqa: E402
from streamer.media.outputs import open_output  # noqa: E402
from streamer.planner import script_lines  # noqa: E402
from streamer.scene import SceneRenderer  # noqa: E402
from streamer.session import Session  # noqa: E402
from streamer.tts import create_tts  # noqa: E402

WARMUP_MEDIA_S = 60


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def soak(brief_path: Path, minutes: float, realtime: bool, size: tuple[int, int]) -> dict[str, Any]:
    brief = load_brief(brief_path)
    said: list[str] = []
    samples: list[tuple[float, float]] = []  # (media s, RSS MB)

    def on_event(e: dict[str, Any]) -> None:
        if e["type"] == "speech_start":
            said.append(e["text"])

    with tempfile.TemporaryDirectory() as tmp:
        session = Session(brief, script_lines(brief), create_tts(None, brief.language), SceneRenderer(brief, size, 30),
                          [open_output(str(Path(tmp) / "soak.mkv"))],
                          VideoSettings(*size, 30, 1_000_000, "veryfast"), realtime=realtime,
                          duration_s=minutes * 60, on_event=on_event)

        async def sample() -> None:
            while True:
                samples.append((session.stats.frames / 30, rss_mb()))
                await asyncio.sleep(5)

        sampler = asyncio.create_task(sample(), name="soak:rss")
        t0 = time.monotonic()
        stats = await session.run()
        wall = time.monotonic() - t0
        sampler.cancel()
        health = session.health()
    after = [(t, m) for t, m in samples if t >= WARMUP_MEDIA_S]
    growth = ((after[-1][1] - after[0][1]) / max(1e-9, (after[-1][0] - after[0][0]) / 3600)) if len(after) > 1 else None
    return {
        "brief": brief_path.name, "media_s": stats.frames / 30, "wall_s": round(wall, 1), "realtime": realtime,
        "frames": stats.frames, "samples": stats.samples,
        "counters_exact": stats.samples == session.clock.frame_start_sample(stats.frames),
        "late_frames": health["late_frames"], "utterances": stats.utterances,
        "distinct_sentence_ratio": round(len(set(said)) / max(1, len(said)), 3),
        "rss_mb_after_warmup": round(after[0][1], 1) if after else None,
        "rss_mb_end": round(samples[-1][1], 1) if samples else None,
        "rss_growth_mb_per_media_hour": round(growth, 1) if growth is not None else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brief", type=Path, default=ROOT / "assets" / "briefs" / "demo_zh.yaml")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--realtime", action="store_true")
    ap.add_argument("--size", default="640x360")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    print(json.dumps(asyncio.run(soak(args.brief, args.minutes, args.realtime, (w, h))), ensure_ascii=False))


if __name__ == "__main__":
    main()
