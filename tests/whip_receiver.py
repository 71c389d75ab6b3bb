"""A WHIP ingest for tests (RFC 9725), on its own aiortc peer: ``POST /whip`` with a bearer token and an SDP offer
gets 201, the answer and a ``Location``; ``DELETE`` there ends the session; ``GET /stats`` says what arrived.

Runs as a process of its own (``python tests/whip_receiver.py PORT TOKEN``), so a test can kill it as a crashed
ingest would and start it again on the same port (`WhipReceiver`). It decodes what it receives, as a player would.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from ports import PortTaken, listens, on_a_free_port

HERE = Path(__file__).parent


class WhipReceiver:
    """The receiver process on a loopback port: a free one at the first start, the same one on a restart."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, token: str | None = None) -> str:
        return f"whip+http://{token or self.token}@127.0.0.1:{self.port}/whip"

    def start(self) -> None:
        if self.port:
            self._start(self.port)
        else:
            self.port = on_a_free_port(self._start)

    def _start(self, port: int) -> int:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), str(port), self.token],
                                     cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if listens(self.proc.pid, port):
                return port
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                if "address already in use" in err.lower():
                    raise PortTaken(port)
                raise RuntimeError(f"the WHIP receiver exited: {err}")
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("the WHIP receiver did not listen in time")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats", timeout=5) as r:
            return json.loads(r.read())

    def kill(self) -> None:
        """Gone at once, as a crashed ingest: no DELETE answered, no RTCP sent."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# --- the receiver process -----------------------------------------------------------------------------------------

async def serve(port: int, token: str) -> None:
    from aiohttp import web
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError

    sessions: dict[str, RTCPeerConnection] = {}
    counts: dict[str, Any] = {"sessions": 0, "deleted": 0, "video_frames": 0, "audio_frames": 0, "size": None,
                              "refused": 0}
    tasks: set[asyncio.Task[None]] = set()

    async def consume(track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                counts["video_frames"] += 1
                counts["size"] = [frame.width, frame.height]
            else:
                counts["audio_frames"] += 1

    async def publish(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            counts["refused"] += 1
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        if request.content_type != "application/sdp":
            return web.Response(status=415)
        pc = RTCPeerConnection()
        sid = secrets.token_hex(6)

        @pc.on("track")
        def _track(track: Any) -> None:
            task = asyncio.create_task(consume(track), name=f"whip-receiver:{sid}:{track.kind}")
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=await request.text(), type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        sessions[sid] = pc
        counts["sessions"] += 1
        return web.Response(status=201, body=pc.localDescription.sdp.encode(), content_type="application/sdp",
                            headers={"Location": f"/whip/{sid}"})

    async def delete(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.Response(status=401)
        pc = sessions.pop(request.match_info["sid"], None)
        if pc is None:
            return web.Response(status=404)
        await pc.close()
        counts["deleted"] += 1
        return web.Response(status=200)

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({**counts, "live": len(sessions)})

    app = web.Application()
    app.add_routes([web.post("/whip", publish), web.delete("/whip/{sid}", delete), web.get("/stats", stats)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), sys.argv[2]))
