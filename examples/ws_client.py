"""A small /ws client: print what a stream says and does, answer a question, then interrupt.

    STREAMER_TOKEN=st_... python examples/ws_client.py --url ws://127.0.0.1:8000/ws [--stream ID] [--start]

Needs only the ``websockets`` package. Protocol: docs/websocket-api.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
from typing import Any

import websockets

_ids = itertools.count(1)


async def send(ws: websockets.ClientConnection, message: dict[str, Any]) -> str:
    """Send a command; returns its id (the server answers with a ``result`` or an ``error`` carrying it)."""
    msg_id = f"c{next(_ids)}"
    await ws.send(json.dumps({**message, "id": msg_id}))
    return msg_id


def show(msg: dict[str, Any]) -> None:
    kind = msg["type"]
    if kind == "health":
        print(f"  health  fps={msg.get('fps_now')} late={msg.get('late_frames')} "
              f"comments_waiting={msg.get('comments_pending')}")
    elif kind in ("speech_start", "speech_end"):
        print(f"  {kind:<12} [{msg.get('source')}] {msg.get('text')}")
    elif kind == "decision":
        print(f"  decision {msg.get('action')} ({msg.get('intent')}): {msg.get('text') or ''}")
    else:
        print(f"  {kind:<12} {json.dumps({k: v for k, v in msg.items() if k not in ('v', 'type')}, ensure_ascii=False)}")


async def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="ws://127.0.0.1:8000/ws")
    p.add_argument("--token", default=os.environ.get("STREAMER_TOKEN", ""))
    p.add_argument("--stream", help="stream id (default: the first one the token sees)")
    p.add_argument("--start", action="store_true", help="start the stream if it is not live")
    p.add_argument("--seconds", type=float, default=30, help="how long to watch")
    args = p.parse_args()
    if not args.token:
        print("give --token or set STREAMER_TOKEN", file=sys.stderr)
        return 2

    async with websockets.connect(args.url, additional_headers={"Authorization": f"Bearer {args.token}"}) as ws:
        hello = json.loads(await ws.recv())
        print(f"connected: protocol {hello['protocol']}, role {hello['role']}, "
              f"{len(hello['streams'])} stream(s): {', '.join(s['id'] + '=' + s['state'] for s in hello['streams'])}")
        if not hello["streams"]:
            return 1
        stream = args.stream or hello["streams"][0]["id"]
        state = next((s["state"] for s in hello["streams"] if s["id"] == stream), "stopped")
        await send(ws, {"type": "subscribe", "streams": [stream]})
        if state != "live" and args.start:
            await send(ws, {"type": "start", "stream": stream})

        asked = interrupted = False
        loop = asyncio.get_running_loop()
        end = loop.time() + args.seconds
        while (left := end - loop.time()) > 0:
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), left))
            except TimeoutError:
                break
            show(msg)
            if msg["type"] == "speech_start" and not asked:
                asked = True  # the host is talking: ask a question as a viewer would
                await send(ws, {"type": "comment", "stream": stream, "user": "dev", "text": "how much is it?"})
            elif msg["type"] == "speech_start" and msg.get("source") == "reply" and not interrupted:
                interrupted = True
                await asyncio.sleep(1.0)
                await send(ws, {"type": "interrupt", "stream": stream})
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
