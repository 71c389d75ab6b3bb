"""`streamer run --out whip+http://TOKEN@host/whip`: the session published to a WHIP ingest (tests/whip_receiver.py,
its own aiortc peer) next to an RTMP push (nginx-rtmp). The ingest is killed and started again mid-stream: the WHIP
push comes back by itself, the RTMP push never notices, and the token shows nowhere."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from rtmp_server import RtmpServer
from test_control_support import wait_for
from whip_receiver import WhipReceiver

pytest.importorskip("aiortc")
pytest.importorskip("aiohttp")

TOKEN = "wt_secret_publish_token"
FPS = 15
SECONDS = 22


@pytest.fixture
def whip() -> Iterator[WhipReceiver]:
    receiver = WhipReceiver(TOKEN)
    receiver.start()
    yield receiver
    receiver.kill()


def _frames(whip: WhipReceiver) -> int:
    try:
        return int(whip.stats()["video_frames"])
    except OSError:
        return 0


def test_the_whip_push_resumes_after_the_ingest_dies_while_the_rtmp_push_goes_on(
        rtmp_server: RtmpServer, whip: WhipReceiver, garden_brief: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamer.cli", "run", str(garden_brief), "--out", f"{rtmp_server.url}/show",
         "--out", whip.url(), "--duration", str(SECONDS), "--size", "320x180", "--fps", str(FPS),
         "--preset", "ultrafast", "--stats"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: _frames(whip) > 2 * FPS, 25, "the first WHIP session to bring two seconds of video")
        first = whip.stats()
        whip.kill()
        time.sleep(1.5)
        whip.start()
        wait_for(lambda: _frames(whip) > 2 * FPS, 20, "the WHIP push to come back to the restarted ingest")
        again = whip.stats()
        out, err = proc.communicate(timeout=60)
        final = whip.stats()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    stats = json.loads(out)
    print(f"\nfirst ingest: {first}\nrestarted ingest: {again}\noutputs: {stats['outputs']}")
    assert first["size"] == again["size"] == [320, 180]
    assert again["audio_frames"] > 0
    [(whip_name, whip_out)] = [(k, v) for k, v in stats["outputs"].items() if k.startswith("whip+")]
    [rtmp_out] = [v for k, v in stats["outputs"].items() if k.startswith("rtmp://")]
    assert whip_out["connects"] >= 2
    assert rtmp_out["connects"] == 1 and rtmp_out["dropped"] == 0, "the RTMP push felt the WHIP ingest's death"
    assert stats["frames"] == SECONDS * FPS
    assert TOKEN not in whip_name and TOKEN not in err and TOKEN not in out
    assert whip_name == f"whip+http://****@127.0.0.1:{whip.port}/whip"
    assert final["deleted"] == 1 and final["live"] == 0, "the push DELETEs its session when the stream ends"


def test_stream_settings_take_a_whip_ingest_and_never_show_its_token() -> None:
    from streamer.control.schemas import StreamSettings

    settings = StreamSettings(outputs=["whip+https://s3cr3t@ingest.example/whip/room1"])
    shown = settings.model_dump(mode="json")["outputs"][0]
    assert shown.startswith("whip+https://ingest.example/") and "s3cr3t" not in shown
    with pytest.raises(ValueError, match="whip"):
        StreamSettings(outputs=["whip+ftp://ingest.example/whip"])
