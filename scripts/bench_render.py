"""Benchmark the host + scene renderer (the render window's look-ahead and the frame): ms per frame at a given size,
on one core.

``bench_render(size)`` is what scripts/bench.py calls; run this file directly for 720p and 1080p figures.
The workload is realistic: speech with phoneme marks for half the frames (mouth, captions, a gesture) and idle
frames (blinks, breathing) for the rest, with one product switch.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamer.brief import load_brief  # noqa: E402
from streamer.scene import FrameState, SceneRenderer, Speaking, Upcoming  # noqa: E402
from streamer.tts.base import SAMPLE_RATE, Mark  # noqa: E402

BRIEF = Path(__file__).resolve().parents[1] / "assets" / "briefs" / "demo_zh.yaml"


def _speech(seconds: float, start_s: float) -> Speaking:
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    pcm = (0.3 * np.sin(2 * np.pi * 180 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)
    syl = ["ni3", "hao3", "da4", "jia1", "zhe4", "kuan3", "bao3", "wen1", "bei1", "zhi3", "yao4", "jiu3", "shi2"]
    step = seconds / len(syl)
    marks = tuple(Mark(i * step, (i + 1) * step, s) for i, s in enumerate(syl))
    text = "大家好，这款保温杯十二小时保温，今天直播间下单只要九十九元，点击下方三号链接马上抢！"
    return Speaking(text, start_s, pcm, marks, "present")


def encode_ms(frames: list[np.ndarray], fps: int = 30, preset: str = "veryfast") -> float:
    """ms per frame to encode ``frames`` with libx264 on one thread: the yardstick the renderer must stay under."""
    import io

    import av

    h, w = frames[0].shape[:2]
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": preset, "threads": "1"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        t0 = time.perf_counter()
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        return (time.perf_counter() - t0) * 1e3 / len(frames)


def bench_render(size: tuple[int, int] = (1280, 720), frames: int = 300, fps: int = 30,
                 with_encode: bool = True) -> dict:
    """Render ``frames`` frames at ``size`` on one OpenCV thread; returns ms/frame figures (and, with
    ``with_encode``, the libx264 veryfast single-thread encode cost of the same frames for comparison)."""
    cv2.setNumThreads(1)
    brief = load_brief(BRIEF)
    t0 = time.perf_counter()
    r = SceneRenderer(brief, size, fps)
    setup_ms = (time.perf_counter() - t0) * 1e3
    speech = _speech(frames / fps / 2, 0.5)
    end_s = speech.start_s + speech.pcm.size / SAMPLE_RATE
    times = []
    kept: list[np.ndarray] = []

    async def run() -> None:  # as the session does it: the render window told what is about to play, then the frame
        for k in range(frames):
            t = k / fps
            product = brief.products[0] if k < frames * 0.75 else brief.products[-1]
            sp = speech if speech.start_s <= t < end_s else None
            ahead = Upcoming(k, ((round(speech.start_s * SAMPLE_RATE), speech),) if t < end_s else ())
            t1 = time.perf_counter()
            await r.prepare(ahead)
            frame = r.render(FrameState(k, t, sp, product))
            times.append((time.perf_counter() - t1) * 1e3)
            if with_encode and k % 2 == 0:
                kept.append(frame)

    asyncio.run(run())
    r.close()
    steady = sorted(times)[: int(len(times) * 0.99)]  # the first caption page and a track build are one-off costs
    out = {"size": f"{size[0]}x{size[1]}", "frames": frames, "setup_ms": round(setup_ms, 1),
           "ms_per_frame": round(statistics.mean(times), 3), "median_ms": round(statistics.median(times), 3),
           "p99_ms": round(steady[-1], 3), "max_ms": round(max(times), 3)}
    if with_encode:
        enc = encode_ms(kept, fps)
        out["encode_ms_per_frame"] = round(enc, 3)
        out["render_to_encode"] = round(statistics.mean(times) / enc, 3)
    return out


def main() -> int:
    for size in ((1280, 720), (1920, 1080)):
        print(bench_render(size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
