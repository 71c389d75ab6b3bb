"""`streamer run BRIEF --out URL ...`: one live session from a brief to files and/or RTMP.

A live run (RTMP, or ``--realtime``) speaks of the time of day by the machine's clock (``STREAMER_SHOW_CLOCK=HH:MM``
or ``--start HH:MM`` set it); a file render does only with ``--start``, so it comes out the same every time.

``--comments URL`` (repeatable) connects the room's chats (streamer/comments/intake.py); ``--transcript FILE`` writes
what was said as JSON lines ``{"t", "source", "text", "product_id", "complete"}`` (``t``: media seconds when the line
began; ``source``: script, reply or say), each flushed as soon as the line has played."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import sys
from pathlib import Path
from typing import IO, Any

from ..brief import load_brief
from ..errors import ConfigError
from ..llm import LLMConfig
from ..planner.timing import CLOCK_ENV, show_start
from ..session import SessionStats
from ..session_builder import Assembly, SessionSettings, assemble

log = logging.getLogger(__name__)

LIVE_SCHEMES = ("rtmp://", "rtmps://", "whip+http://", "whip+https://")  # outputs that play on the clock


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="stream a brief to RTMP URLs and/or files")
    p.add_argument("brief", help="brief file (YAML or JSON)")
    p.add_argument("--out", action="append", required=True, metavar="URL",
                   help="rtmp://host/app/key or a .flv/.mp4/.mkv path; repeat for several outputs")
    p.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this much stream time")
    p.add_argument("--realtime", action="store_true", help="pace file outputs to the wall clock (RTMP always is)")
    p.add_argument("--size", default="1280x720", help="frame size WxH (default 1280x720)")
    p.add_argument("--fps", type=int, default=30, help="frames per second (default 30)")
    p.add_argument("--bitrate", type=int, metavar="BPS", help="video bitrate (default 2.5 Mbps at 720p)")
    p.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast; ultrafast for density)")
    p.add_argument("--encoder-threads", type=int, default=1, metavar="N",
                   help="x264 threads (default 1, which packs the most sessions per machine; 0 = automatic)")
    p.add_argument("--voice", metavar="ENGINE:VOICE", help="e.g. piper:joe, espeak:cmn, edge:zh-CN-XiaoxiaoNeural")
    p.add_argument("--avatar", metavar="NAME|PATH", help="avatar pack name or directory")
    p.add_argument("--seed", type=int, default=0, help="script variation seed")
    p.add_argument("--start", metavar="HH:MM", help="the show's clock time at its start, for lines about the time "
                   "of day (default: the clock, for live runs; none for file renders)")
    p.add_argument("--comments", action="append", default=[], metavar="URL",
                   help="a chat to answer: irc://host:port/#chan, twitch://CHAN, youtube://VIDEO_ID, "
                        "bridge+ws://host:port, file://comments.jsonl; repeat for several")
    p.add_argument("--transcript", metavar="FILE", help="write what was said as JSON lines, flushed per line")
    p.add_argument("--stats", action="store_true", help="print the final health stats as JSON on stdout")
    p.set_defaults(func=run)


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if not m:
        raise ConfigError(f"--size {text!r}: expected WxH, e.g. 1280x720")
    w, h = int(m[1]), int(m[2])
    if not (64 <= w <= 3840 and 64 <= h <= 2160) or w % 2 or h % 2:
        raise ConfigError(f"--size {text!r}: width and height must be even, 64..3840 x 64..2160")
    return w, h


def run(args: argparse.Namespace) -> int:
    brief = load_brief(args.brief)
    width, height = parse_size(args.size)
    if not 1 <= args.fps <= 60:
        raise ConfigError(f"--fps {args.fps}: must be between 1 and 60")
    if args.duration is not None and args.duration <= 0:
        raise ConfigError(f"--duration {args.duration:g}: must be positive")
    if args.encoder_threads < 0:
        raise ConfigError(f"--encoder-threads {args.encoder_threads}: must be 0 (automatic) or more")
    live = args.realtime or any(url.startswith(LIVE_SCHEMES) for url in args.out)
    try:
        start = show_start(None, args.start or os.environ.get(CLOCK_ENV)) if live or args.start else None
    except ValueError as e:
        raise ConfigError(f"--start: {e}") from None
    settings = SessionSettings(voice=args.voice, avatar=args.avatar, width=width, height=height, fps=args.fps,
                               bitrate=args.bitrate, preset=args.preset, encoder_threads=args.encoder_threads,
                               seed=args.seed, outputs=args.out, realtime=args.realtime, duration_s=args.duration,
                               llm=LLMConfig.from_env(), start=start, comments=args.comments)
    transcript = _open_transcript(args.transcript) if args.transcript else None
    try:
        assembly = assemble(brief, settings, on_event=Transcript(transcript) if transcript else None)
        stats = asyncio.run(_run_until_signal(assembly))
    finally:
        if transcript is not None:
            transcript.close()
    health = {**assembly.session.health(), "llm": assembly.llm_health(),
              "comment_sources": assembly.comment_sources_health(), "host": assembly.host_health()}
    log.info("done: %d frames, %d samples (%.2f s), %d sentences", stats.frames, stats.samples,
             stats.frames / args.fps, stats.utterances)
    if args.stats:
        json.dump(health, sys.stdout, ensure_ascii=False)
        print()
    return 0


def _open_transcript(path: str) -> IO[str]:
    try:
        return Path(path).open("w", encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"--transcript {path}: {e.strerror or e}") from None


class Transcript:
    """Session events -> one JSON line per line said, written and flushed when it has played (``speech_end``)."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._product: str | None = None
        self._on_screen: str | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        if event["type"] == "product":
            self._on_screen = event.get("product_id")
        elif event["type"] == "speech_start":
            # speech_end names no product: it is the one the line started with (a reply: the one on screen)
            self._product = event.get("product_id") or self._on_screen
        elif event["type"] == "speech_end":
            line = {"t": round(event["t"] - event.get("played_s", 0.0), 3), "source": event["source"],
                    "text": event["text"], "product_id": self._product, "complete": event.get("complete", True)}
            self._out.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._out.flush()


async def _run_until_signal(assembly: Assembly) -> SessionStats:
    session = assembly.session
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, session.stop)
    try:
        return await assembly.run()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
