#!/usr/bin/env python3
"""Soak the product path in real time and judge it: one JSON object on stdout, exit 0 on pass, 1 otherwise.

  .venv/bin/python scripts/soak.py --minutes 120 --samples soak.jsonl
  .venv/bin/python scripts/soak.py --minutes 1.5 --warmup-minutes 0.5 --comment-every 5     # the CI version

It starts `streamer serve` (SQLite) and an nginx-rtmp ingest (tests/rtmp_server.py), creates one 1280x720/30 stream
from a sample brief through the HTTP API with an RTMP output to nginx and recording on, starts it, and posts a viewer
comment every few seconds. Every 10 s it samples the RSS of the service and of the worker process and the worker's
health, one JSON line per sample to ``--samples`` (flushed, so a cut-short soak keeps its data). Speech ends are
counted over /ws. At the end the stream is stopped cleanly and the report compares counters, memory slope after
warm-up, late frames, restarts, and the transcript and comments the recorder wrote to the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import av
import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test servers: rtmp_server imports ports as a top-level module
sys.path.insert(0, str(ROOT))

from ports import PortTaken, listens, on_a_free_port  # noqa: E402
from rtmp_server import RtmpServer  # noqa: E402

from streamer.media.clock import MediaClock  # noqa: E402
from streamer.tts.base import SAMPLE_RATE  # noqa: E402

STREAMER = ROOT / ".venv" / "bin" / "streamer"
TOKEN = "st_soak_admin_token"
SIZE, FPS = "1280x720", 30
SAMPLE_EVERY_S = 10
MAX_SLOPE_MB_H = 5.0
ORPHAN_S = 10
SETTLE_S = 30  # bound on each wait for the recorder to catch up (decisions before stop, transcript after)
COMMENTS = [  # (user, text): questions the responder answers, chatter, junk and repeats, in both languages
    ("小美", "多少钱？"), ("阿杰", "这个价格还能便宜吗"), ("Kim", "how much is it?"), ("小美", "多少钱？"),
    ("老王", "包邮吗？几天能到"), ("Sam", "do you ship to Canada?"), ("新来的", "主播好！"), ("Ana", "hi everyone"),
    ("x", "asdfghjkl"), ("y", "？？？？？"), ("bot", "加微信 vx12345 领红包"), ("Lee", "is it dishwasher safe"),
    ("阿杰", "有优惠券吗"), ("Kim", "how much is it?"), ("路人", "666"), ("Mo", "lol"),
]


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of ``pid`` in MB (VmRSS), None when it is not running."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the worker's RTMP push processes), from /proc's children lists."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(k) for k in task.read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def tree_rss_mb(pid: int | None) -> float | None:
    """RSS of ``pid`` and everything it started, in MB: what the stream costs the machine."""
    own = rss_mb(pid)
    if pid is None or own is None:
        return own
    return round(own + sum(rss_mb(k) or 0.0 for k in descendants(pid)), 1)


def slope_mb_per_h(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) points, in MB per hour; None with fewer than two points."""
    if len(points) < 2:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mm = sum(m for _, m in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return None
    return round(sum((t - mt) * (m - mm) for t, m in points) / var * 3600, 2)


@contextlib.contextmanager
def service(workdir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`streamer serve` on a free loopback port (another one if the port was taken meanwhile); stopped with SIGINT
    (the service stops its workers cleanly), killed if it does not end in time."""
    log = open(workdir / "serve.log", "wb")  # noqa: SIM115 - closed in finally, after the process ended
    # a worker outlives a killed service for STREAMER_WORKER_ORPHAN_S (default 300 s): keep that short here, so a
    # soak that had to kill its service leaves nothing on air for long
    env = {**os.environ, "STREAMER_ADMIN_TOKEN": TOKEN, "STREAMER_WORKER_ORPHAN_S": str(ORPHAN_S)}
    procs: list[subprocess.Popen[bytes]] = []

    def start(port: int) -> tuple[subprocess.Popen[bytes], int]:
        log.truncate(0)
        proc = subprocess.Popen([str(STREAMER), "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--db", f"sqlite:///{workdir / 'soak.db'}", "--data-dir", str(workdir / "data")],
                                cwd=workdir, env=env, stdout=log, stderr=log,
                                start_new_session=True)  # a terminal's Ctrl-C reaches us; we stop it once, cleanly
        procs.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if listens(proc.pid, port):
                return proc, port
            if proc.poll() is not None:
                text = (workdir / "serve.log").read_text(errors="replace")
                if "address already in use" in text.lower():
                    raise PortTaken(port)
                raise RuntimeError(f"streamer serve exited with {proc.returncode}: {text[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("streamer serve did not listen within 60 s")

    try:
        proc, port = on_a_free_port(start)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        log.close()


@dataclass
class Tally:
    """What the soak counted while it ran."""

    speech_ends: int = 0
    ws_problems: list[str] = field(default_factory=list)  # disconnects, dropped events: the count is then short
    comments_posted: int = 0
    comments_refused: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)  # every worker pid seen, in order


async def watch_speech(ws_url: str, stream_id: str, tally: Tally, subscribed: asyncio.Event) -> None:
    """Count ``speech_end`` events of the stream over /ws (what the transcript must record)."""
    try:
        async with websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {TOKEN}"},
                                      ping_interval=None, max_queue=None) as ws:
            await ws.send(json.dumps({"type": "subscribe", "id": "soak", "streams": [stream_id],
                                      "events": ["speech_end"]}))
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("type") == "result" and msg.get("id") == "soak":
                    subscribed.set()
                elif msg.get("type") == "speech_end" and msg.get("stream") == stream_id:
                    tally.speech_ends += 1
                elif msg.get("type") == "error":
                    tally.ws_problems.append(f"{msg.get('code')}: {msg.get('message')}")
    except websockets.ConnectionClosed as e:
        tally.ws_problems.append(f"closed: {e}")
    tally.ws_problems.append("the /ws connection ended")


async def post_comments(api: httpx.AsyncClient, stream_id: str, every_s: float, tally: Tally) -> None:
    """Post the comment mix, one every ``every_s`` seconds, round and round, until cancelled."""
    for n, (user, text) in enumerate(itertools.cycle(COMMENTS)):
        await asyncio.sleep(every_s)
        try:
            r = await api.post(f"/api/streams/{stream_id}/commands",
                               json={"type": "comment", "user": user, "text": text, "platform": "soak"})
        except httpx.HTTPError as e:
            tally.comments_refused.append(f"#{n} {type(e).__name__}: {e}")
            continue
        if r.status_code == 200:
            tally.comments_posted += 1
        else:
            tally.comments_refused.append(f"#{n} {r.status_code}: {r.text[:200]}")


async def sample(api: httpx.AsyncClient, stream_id: str, service_pid: int, t0: float, tally: Tally,
                 out: IO[str]) -> dict[str, Any]:
    """One sample: RSS of the service and the worker, and the worker's health; written as a JSON line."""
    try:
        info = (await api.get(f"/api/streams/{stream_id}/health")).raise_for_status().json()
    except httpx.HTTPError as e:  # a service too busy to answer is a finding, not the end of the soak
        info = {"error": f"{type(e).__name__}: {e}"}
    pid, health = info.get("pid"), info.get("health") or {}
    if pid is not None and (not tally.pids or tally.pids[-1] != pid):
        tally.pids.append(pid)
    outputs = health.get("outputs") or {}
    row = {"t_s": round(time.monotonic() - t0, 1), "at": round(time.time(), 1), "state": info.get("state"),
           "service_rss_mb": rss_mb(service_pid), "worker_pid": pid, "worker_rss_mb": rss_mb(pid),
           "worker_tree_rss_mb": tree_rss_mb(pid),
           "restarts": info.get("restarts", 0), "frames": health.get("frames"), "samples": health.get("samples"),
           "late_frames": health.get("late_frames"), "utterances": health.get("utterances"),
           "lag_s": health.get("lag_s"),
           "reconnects": sum(max(0, int(o.get("connects", 0)) - 1) for o in outputs.values()),
           "outputs": {name: o.get("state") for name, o in outputs.items()}, "error": info.get("error")}
    tally.samples.append(row)
    out.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.flush()
    return row


async def sample_every(api: httpx.AsyncClient, stream_id: str, service_pid: int, t0: float, tally: Tally,
                       out: IO[str]) -> None:
    """Sample every SAMPLE_EVERY_S seconds on a fixed grid from ``t0``, until cancelled."""
    for k in itertools.count(1):
        await asyncio.sleep(max(0.0, t0 + k * SAMPLE_EVERY_S - time.monotonic()))
        await sample(api, stream_id, service_pid, t0, tally, out)


def db_counts(db: Path, stream_id: str) -> dict[str, int]:
    """What the recorder wrote for the stream: sentences said, comments, and comments with a decision."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as c:
        def one(sql: str) -> int:
            return int(c.execute(sql, (stream_id,)).fetchone()[0])
        return {"transcript_rows": one("SELECT COUNT(*) FROM transcript WHERE stream_id = ? "
                                       "AND source NOT IN ('override', 'update')"),
                "comments_recorded": one("SELECT COUNT(*) FROM comments WHERE stream_id = ?"),
                "decisions_recorded": one("SELECT COUNT(*) FROM comments WHERE stream_id = ? AND action IS NOT NULL")}


async def settle(db: Path, stream_id: str, done: Callable[[dict[str, int]], bool]) -> dict[str, int]:
    """Database counts once ``done(counts)`` holds, or after SETTLE_S seconds (the recorder writes in batches)."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        counts = await asyncio.to_thread(db_counts, db, stream_id)
        if done(counts) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.5)


def probe_recording(path: Path | None) -> dict[str, Any]:
    """What nginx recorded from the RTMP output: video packets and the longest gap between them (demuxed only:
    decoding hours of 720p would load the machine)."""
    if path is None:
        return {"recording": None}
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        if v.time_base is None:
            raise RuntimeError(f"{path}: the video stream has no time base")
        tb = float(v.time_base)
        pts = sorted(p.pts * tb for p in c.demux(v) if p.pts is not None)
    gaps = [b - a for a, b in itertools.pairwise(pts)]
    return {"recording": path.name, "recording_frames": len(pts),
            "recording_s": round(pts[-1] - pts[0], 2) if pts else 0.0,
            "recording_max_gap_ms": round(max(gaps) * 1000, 1) if gaps else None}


def verdict(tally: Tally, last: dict[str, Any], counts: dict[str, int], warmup_s: float) -> dict[str, Any]:
    """The report's figures and pass/fail from the samples, the last health and the database counts."""
    clock = MediaClock(FPS, SAMPLE_RATE)
    live = [s for s in tally.samples if s["frames"] is not None]
    warm = [s for s in tally.samples if s["t_s"] >= warmup_s]

    def at(rows: list[dict[str, Any]], key: str) -> float | None:
        return rows[0][key] if rows else None

    def slope(key: str) -> float | None:
        return slope_mb_per_h([(s["t_s"], s[key]) for s in warm if s[key] is not None])

    frames, samples = last.get("frames"), last.get("samples")
    restarts = max(int(last.get("restarts") or 0), len(tally.pids) - 1)
    worker_slope, service_slope = slope("worker_rss_mb"), slope("service_rss_mb")
    tree_slope = slope("worker_tree_rss_mb")
    late = max([int(s["late_frames"] or 0) for s in [*live, last]], default=None)
    late_warm = next((int(s["late_frames"] or 0) for s in warm if s["late_frames"] is not None), None)
    report = {
        "worker_rss_mb_warm": at(warm, "worker_rss_mb"), "worker_rss_mb_end": at(warm[::-1], "worker_rss_mb"),
        "worker_slope_mb_h": worker_slope,
        "worker_tree_rss_mb_end": at(warm[::-1], "worker_tree_rss_mb"), "worker_tree_slope_mb_h": tree_slope,
        "service_rss_mb_warm": at(warm, "service_rss_mb"), "service_rss_mb_end": at(warm[::-1], "service_rss_mb"),
        "service_slope_mb_h": service_slope,
        "rss_samples": len(tally.samples),
        "worker_rss_samples": sum(s["worker_rss_mb"] is not None for s in tally.samples),
        "service_rss_samples": sum(s["service_rss_mb"] is not None for s in tally.samples),
        "frames": frames, "samples": samples,
        "counters_exact": bool(live) and frames is not None
        and all(s["samples"] == clock.frame_start_sample(s["frames"]) for s in [*live, last]),
        "late_frames": late,
        "late_frames_after_warmup": None if late is None or late_warm is None else late - late_warm,
        "output_reconnects": last.get("reconnects"), "worker_restarts": restarts, "worker_pids": tally.pids,
        "comments_posted": tally.comments_posted, "comments_refused": tally.comments_refused,
        **counts, "speech_ends_ws": tally.speech_ends, "ws_problems": tally.ws_problems,
        "utterances": last.get("utterances"),
    }
    complete = not tally.ws_problems and tally.speech_ends > 0 and counts["transcript_rows"] == tally.speech_ends
    report["transcript_complete"] = complete
    checks = {
        "worker_slope": worker_slope is not None and worker_slope < MAX_SLOPE_MB_H,
        "worker_tree_slope": tree_slope is not None and tree_slope < MAX_SLOPE_MB_H,
        "service_slope": service_slope is not None and service_slope < MAX_SLOPE_MB_H,
        "counters_exact": report["counters_exact"], "late_frames": late == 0,
        "transcript_complete": complete, "worker_restarts": restarts == 0,
    }
    report["failed"] = [name for name, ok in checks.items() if not ok]
    report["pass"] = not report["failed"]
    return report


async def soak(args: argparse.Namespace, workdir: Path, samples_out: IO[str]) -> dict[str, Any]:
    """Run the whole soak in ``workdir`` and return the report."""
    rtmp = RtmpServer(workdir / "rtmp")
    rtmp.start()
    try:
        with service(workdir) as (proc, url):
            async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"},
                                         timeout=60) as api:
                return await soak_stream(args, api, url, proc.pid, workdir, rtmp, samples_out)
    finally:
        rtmp.stop()


async def soak_stream(args: argparse.Namespace, api: httpx.AsyncClient, url: str, service_pid: int, workdir: Path,
                      rtmp: RtmpServer, samples_out: IO[str]) -> dict[str, Any]:
    """Create, start, feed, sample and stop the stream; the report without the recording probe."""
    r = await api.post("/api/streams", json={
        "name": "soak", "brief_yaml": args.brief.read_text(),
        "settings": {"size": SIZE, "fps": FPS, "voice": args.voice, "outputs": [f"{rtmp.url}/soak"], "record": True}})
    r.raise_for_status()
    stream_id = r.json()["id"]
    tally = Tally()
    subscribed = asyncio.Event()
    ws_url = url.replace("http://", "ws://") + "/ws"
    watcher = asyncio.create_task(watch_speech(ws_url, stream_id, tally, subscribed), name="soak:ws")
    await asyncio.wait_for(subscribed.wait(), 30)
    (await api.post(f"/api/streams/{stream_id}/start")).raise_for_status()
    deadline = time.monotonic() + 120
    while (state := (await api.get(f"/api/streams/{stream_id}")).json()["state"]) != "live":
        if state == "failed" or time.monotonic() > deadline:
            raise RuntimeError(f"the stream did not go live (state {state}); see {workdir / 'serve.log'}")
        await asyncio.sleep(0.5)
    t0 = time.monotonic()
    await sample(api, stream_id, service_pid, t0, tally, samples_out)
    tasks = [asyncio.create_task(post_comments(api, stream_id, args.comment_every, tally), name="soak:comments"),
             asyncio.create_task(sample_every(api, stream_id, service_pid, t0, tally, samples_out),
                                 name="soak:samples")]
    try:
        await asyncio.sleep(max(0.0, t0 + args.minutes * 60 - time.monotonic()))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    db = workdir / "soak.db"
    await settle(db, stream_id, lambda c: c["decisions_recorded"] >= tally.comments_posted)
    last = await sample(api, stream_id, service_pid, t0, tally, samples_out)
    (await api.post(f"/api/streams/{stream_id}/stop")).raise_for_status()
    await asyncio.sleep(2)  # the last sentence's speech_end travels the bus to /ws and the recorder
    counts = await settle(db, stream_id, lambda c: c["transcript_rows"] >= tally.speech_ends)
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    return {"minutes": args.minutes, "brief": args.brief.name, "stream": stream_id,
            **verdict(tally, last, counts, args.warmup_minutes * 60)}


def interrupted(signum: int, frame: object) -> None:
    """SIGTERM (a CI timeout, `kill`): clean up as on Ctrl-C."""
    raise KeyboardInterrupt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brief", type=Path, default=ROOT / "assets" / "briefs" / "demo_zh.yaml")
    ap.add_argument("--minutes", type=float, default=120, help="real minutes on air (default 120)")
    ap.add_argument("--warmup-minutes", type=float, default=10, help="ignored by the RSS slope (default 10)")
    ap.add_argument("--comment-every", type=float, default=20, help="seconds between comments (default 20)")
    ap.add_argument("--voice", help="ENGINE:VOICE, e.g. espeak:cmn (default: the brief language's default)")
    ap.add_argument("--samples", type=Path, help="write each sample as a JSON line here (default: in the workdir)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work dir (db, logs, recordings; under $TMPDIR) after a pass, not only after a fail")
    args = ap.parse_args()
    if args.minutes <= 0 or args.comment_every <= 0 or args.warmup_minutes < 0:
        ap.error("--minutes and --comment-every must be positive, --warmup-minutes not negative")
    if not args.brief.is_file():
        ap.error(f"--brief {args.brief}: no such file")
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    signal.signal(signal.SIGTERM, interrupted)
    report: dict[str, Any] = {"workdir": str(workdir)}
    try:
        with open(args.samples or workdir / "samples.jsonl", "w") as samples_out:
            report.update(asyncio.run(soak(args, workdir, samples_out)))
        rtmp_files = sorted((workdir / "rtmp" / "rec").glob("*.flv"), key=lambda p: p.stat().st_size)
        report.update(probe_recording(rtmp_files[-1] if rtmp_files else None))
    except KeyboardInterrupt:
        report.update({"pass": False, "error": "interrupted"})
    except Exception as e:  # the report still says what happened; the work dir keeps the logs
        report.update({"pass": False, "error": f"{type(e).__name__}: {e}"})
    print(json.dumps(report, ensure_ascii=False))
    if report.get("pass") and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if report.get("pass") else 1


if __name__ == "__main__":
    sys.exit(main())
