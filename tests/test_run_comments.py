"""`streamer run --comments irc://… --transcript FILE`: a question typed in a real IRC room (ngircd) is answered on
air, the answer is in the transcript, and a server that dies and comes back costs no question and answers none
twice."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli
from irc_server import IrcServer, Viewer

from streamer.comments.sources.irc import IrcMessage

ROOM = "#room"
DURATION_S = "40"


@pytest.fixture
def ircd(tmp_path: Path) -> Iterator[IrcServer]:
    root = tmp_path / "ircd"
    root.mkdir()
    server = IrcServer(root)
    server.start()
    yield server
    server.stop()


def _stream(brief: Path, tmp_path: Path, port: int) -> tuple[subprocess.Popen[str], Path]:
    transcript = tmp_path / "t.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "streamer.cli", "run", str(brief), "--out", str(tmp_path / "x.mp4"),
                             "--realtime", "--duration", DURATION_S, "--size", "320x180",
                             "--comments", f"irc://127.0.0.1:{port}/{ROOM}", "--transcript", str(transcript),
                             "--stats"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, transcript


def _lines(transcript: Path) -> list[dict[str, Any]]:
    if not transcript.exists():
        return []
    return [json.loads(ln) for ln in transcript.read_text(encoding="utf-8").splitlines() if ln.strip()]


async def _said(transcript: Path, match: Callable[[dict[str, Any]], bool], within_s: float) -> dict[str, Any]:
    """The first transcript line ``match`` accepts, waiting for it to be written (lines are flushed as said)."""
    async with asyncio.timeout(within_s):
        while True:
            found = [ln for ln in _lines(transcript) if match(ln)]
            if found:
                return found[0]
            await asyncio.sleep(0.2)


def _host_joined(msg: IrcMessage) -> bool:
    return msg.command == "JOIN" and msg.nick.startswith("justinfan")  # the stream reads the room anonymously


async def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = await asyncio.to_thread(proc.communicate, timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    stats: dict[str, Any] = json.loads(stdout)
    return stats


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.communicate(timeout=30)


@pytest.mark.slow
async def test_a_price_question_in_the_irc_room_is_answered_on_air(ircd: IrcServer, tmp_path: Path,
                                                                   garden_brief: Path) -> None:
    viewer = await Viewer.join(ircd.port, "ann", ROOM)
    proc, transcript = _stream(garden_brief, tmp_path, ircd.port)
    try:
        await viewer.wait_for(_host_joined, within_s=60)
        said_before = _lines(transcript)
        viewer.say("how much is the hose?", ROOM)
        reply = await _said(transcript, lambda ln: ln["source"] == "reply", within_s=30)
        stats = await _finish(proc)
    finally:
        viewer.close()
        _stop(proc)
    assert "$19" in reply["text"]  # the brief's price
    assert all(reply["t"] >= ln["t"] for ln in said_before)  # said after what was on air when it was asked
    assert reply in _lines(transcript)[len(said_before):]
    (source,) = stats["comment_sources"]
    assert (source["url"], source["total"], source["duplicates"]) == (f"irc://127.0.0.1:{ircd.port}/{ROOM}", 1, 0)


@pytest.mark.slow
async def test_the_room_is_read_again_after_the_irc_server_dies_and_no_question_is_answered_twice(
        ircd: IrcServer, tmp_path: Path, garden_brief: Path) -> None:
    viewer = await Viewer.join(ircd.port, "ann", ROOM)
    proc, transcript = _stream(garden_brief, tmp_path, ircd.port)
    try:
        await viewer.wait_for(_host_joined, within_s=60)
        viewer.say("how much is the hose?", ROOM)
        await _said(transcript, lambda ln: ln["source"] == "reply" and "$19" in ln["text"], within_s=30)
        viewer.close()
        ircd.kill()
        ircd.start()
        viewer = await Viewer.join(ircd.port, "ann", ROOM)
        await viewer.wait_for(_host_joined, within_s=30)
        viewer.say("is the hose in stock?", ROOM)
        await _said(transcript, lambda ln: ln["source"] == "reply" and "in stock" in ln["text"], within_s=30)
        stats = await _finish(proc)
    finally:
        viewer.close()
        _stop(proc)
    replies = [ln["text"] for ln in _lines(transcript) if ln["source"] == "reply"]
    assert sum("$19" in text for text in replies) == 1, replies
    assert sum("in stock" in text for text in replies) == 1, replies
    (source,) = stats["comment_sources"]
    assert (source["connections"], source["duplicates"]) == (2, 0)  # connected again, nothing delivered twice


def test_a_bad_comment_source_is_one_clear_line_before_anything_is_written(tmp_path: Path,
                                                                           garden_brief: Path) -> None:
    out = tmp_path / "x.mp4"
    r = run_cli("run", str(garden_brief), "--out", str(out), "--comments", "irc://127.0.0.1:6667")
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines == ["streamer run: error: comment source 'irc://127.0.0.1:6667': no channel "
                     "(irc://host:port/#channel)"]
    assert not out.exists()
