#!/usr/bin/env python3
"""Benchmarks, printed as one JSON object. Figures are ratios measured in the same run where possible, because
these machines are shared and noisy.

  encode:    the session's encoder (colour conversion, H.264 + AAC, fan-out to a file) vs bare libx264 on the
             same frames; the ratio is the engine's overhead.
  render:    host + scene ms per frame at 720p and 1080p, and its ratio to the x264 encode of the same frames.
  tts:       real-time factor and time to first chunk of the offline voices.
  interaction: reply and interrupt latencies on a live session (scripts/bench_interaction.py).
  sessions:  how many 720p30 live sessions run side by side in real time with no late frames.

Usage: .venv/bin/python scripts/bench.py [--frames N] [--max-sessions N] [--session-seconds S] [--skip-sessions]
       [--preset ultrafast] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.bench_interaction import bench_interaction  # noqa: E402
from scripts.bench_render import bench_render  # noqa: E402
from streamer.brief import load_brief  # noqa: E402
from streamer.media.encoder import Encoder, VideoSettings  # noqa: E402
from streamer.media.outputs import FileOutput  # noqa: E402
from streamer.scene import FrameState, SceneRenderer  # noqa: E402
from streamer.tts.bench import measure_rtf  # noqa: E402

DEMO_BRIEF = ROOT / "assets" / "briefs" / "demo_zh.yaml"


def scene_frames(n: int, size: tuple[int, int]) -> list[np.ndarray]:
    brief = load_brief(DEMO_BRIEF)
    renderer = SceneRenderer(brief, size, 30)
    frames = [renderer.render(FrameState(k, k / 30, None, brief.products[0])).copy() for k in range(n)]
    renderer.close()
    return frames


def bench_raw_x264(frames: list[np.ndarray], settings: VideoSettings) -> float:
    """Frames per second of the same libx264 configuration fed pre-converted YUV: the floor any engine pays."""
    enc = Encoder(settings)
    cc = enc.video_stream.codec_context
    yuv = [av.VideoFrame.from_ndarray(cv2.cvtColor(f, cv2.COLOR_RGB2YUV_I420), format="yuv420p") for f in frames]
    t0 = time.perf_counter()
    for k, vf in enumerate(yuv):
        vf.pts = k
        cc.encode(vf)
    cc.encode(None)
    elapsed = time.perf_counter() - t0
    enc.close()
    return len(frames) / elapsed


def bench_engine(frames: list[np.ndarray], settings: VideoSettings) -> float:
    """Frames per second of the session encoder from RGB frames and audio to a muxed file."""
    enc = Encoder(settings)
    with tempfile.TemporaryDirectory() as tmp:
        out = FileOutput(str(Path(tmp) / "bench.flv"))
        out.start(enc.video_stream, enc.audio_stream)
        pcm = (np.sin(np.arange(1600) / 8) * 0.2).astype(np.float32)
        t0 = time.perf_counter()
        for k, f in enumerate(frames):
            for p in enc.encode(k, f, pcm):
                out.send(p)
        for p in enc.flush():
            out.send(p)
        out.close()
        elapsed = time.perf_counter() - t0
    enc.close()
    return len(frames) / elapsed


def run_sessions(n: int, seconds: int, preset: str, threads: int = 1) -> dict[str, object]:
    """Start n real-time 720p30 sessions as separate processes; report their lateness."""
    with tempfile.TemporaryDirectory() as tmp:
        procs = [subprocess.Popen(
            [sys.executable, "-m", "streamer.cli", "run", str(DEMO_BRIEF), "--out", f"{tmp}/s{i}.flv",
             "--duration", str(seconds), "--realtime", "--preset", preset, "--encoder-threads", str(threads), "--stats", "--seed", str(i)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for i in range(n)]
        stats = [json.loads(p.communicate(timeout=seconds * 4 + 60)[0] or "{}") for p in procs]
    late = [int(s.get("late_frames", -1)) for s in stats]
    return {"sessions": n, "late_frames": late, "max_lag_s": [round(float(s.get("max_lag_s", -1)), 3) for s in stats],
            "frames": [s.get("frames") for s in stats],
            "ok": all(s.get("frames") == seconds * 30 for s in stats) and all(x == 0 for x in late)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--max-sessions", type=int, default=6)
    ap.add_argument("--session-seconds", type=int, default=20)
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--skip-sessions", action="store_true")
    ap.add_argument("--sessions-only", action="store_true", help="only the concurrent live sessions figure")
    ap.add_argument("--encoder-threads", type=int, default=1, help="x264 threads per session (0 = automatic)")
    ap.add_argument("--rounds", type=int, default=10, help="interaction rounds (reply + interrupt each)")
    args = ap.parse_args()

    result: dict[str, object] = {"cpus": os.cpu_count(), "preset": args.preset,
                                 "encoder_threads": args.encoder_threads}
    for label, size in [] if args.sessions_only else (("720p", (1280, 720)), ("1080p", (1920, 1080))):
        settings = VideoSettings(*size, 30, 2_500_000 if size[1] == 720 else 4_500_000, args.preset)
        frames = scene_frames(args.frames, size)
        raw = bench_raw_x264(frames, settings)
        engine = bench_engine(frames, settings)
        result[f"encode_{label}"] = {"raw_x264_fps": round(raw, 1), "engine_fps": round(engine, 1),
                                     "engine_over_raw": round(engine / raw, 3)}
    if not args.sessions_only:
        result["render"] = {label: bench_render(size) for label, size in (("720p", (1280, 720)),
                                                                          ("1080p", (1920, 1080)))}
        result["tts"] = [{"engine": r.engine, "rtf": round(r.rtf, 3), "first_chunk_s": round(r.first_chunk_s, 3)}
                         for r in asyncio.run(measure_rtf())]
        result["interaction"] = bench_interaction(rounds=args.rounds)
    if not args.skip_sessions:
        runs = []
        for n in range(1, args.max_sessions + 1):
            run = run_sessions(n, args.session_seconds, args.preset, args.encoder_threads)
            runs.append(run)
            print(json.dumps(run), file=sys.stderr)
            if not run["ok"]:
                break
        result["live_sessions"] = runs
        result["sustained_720p30_sessions"] = max([r["sessions"] for r in runs if r["ok"]], default=0)
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
