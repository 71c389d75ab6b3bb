"""A real local OpenAI-compatible HTTP server for tests (/v1/chat/completions, streaming over SSE and not), scripted
with replies, failing status codes, or `Scripted` behaviours: a slow first token, pauses between pieces, the last
piece held back, a model that hangs, garbage instead of JSON."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Scripted:
    """One scripted answer. Streamed answers go out in ``piece_chars``-character pieces."""

    text: str = ""
    first_delay_s: float = 0.0  # before the first piece: time to first token
    piece_delay_s: float = 0.0  # between pieces
    last_delay_s: float = 0.0  # before the last piece: the model is still writing meanwhile
    hang: bool = False  # send the stream's headers, then nothing until the server shuts down
    garbage: bool = False  # 200, but the body is not the protocol's JSON
    piece_chars: int = 7


Reply = str | int | Scripted  # a text to answer with, an HTTP status to fail with, or a behaviour


class ChatServer:
    """A local OpenAI-compatible chat server on 127.0.0.1 that answers with scripted replies and records requests
    (``requests``: the bodies; ``request_times``: monotonic arrival times)."""

    def __init__(self, replies: list[Reply] | Callable[[dict[str, Any]], Reply]) -> None:
        self.replies = replies
        self.requests: list[dict[str, Any]] = []
        self.request_times: list[float] = []
        self.finished_times: list[float] = []  # when each streamed answer's last piece went out
        self._closing = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path != "/v1/chat/completions":
                    return self._json(404, {"error": {"message": "not found"}})
                with server._lock:
                    server.requests.append(body)
                    server.request_times.append(time.monotonic())
                    reply = server._next(body)
                if isinstance(reply, int):
                    return self._json(reply, {"error": {"message": f"scripted {reply}", "type": "test"}})
                script = reply if isinstance(reply, Scripted) else Scripted(reply)
                try:
                    if body.get("stream"):
                        return self._stream(script, body.get("model", "m"))
                    self._whole(script, body.get("model", "m"))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout, an interrupt): what a real server sees too

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _whole(self, script: Scripted, model: str) -> None:
                if script.hang:
                    server._closing.wait()
                    return
                server._closing.wait(script.first_delay_s)
                if script.garbage:
                    data = b"<html>502 upstream sent nonsense</html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self._json(200, {"id": "c1", "object": "chat.completion", "created": 0, "model": model,
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": script.text}}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _stream(self, script: Scripted, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.flush()
                self.close_connection = True
                if script.hang:
                    server._closing.wait()
                    return
                if script.garbage:
                    self.wfile.write(b"data: {this is not json\n\ndata: [DONE]\n\n")
                    self.wfile.flush()
                    return
                text, n = script.text, script.piece_chars
                pieces = [text[i:i + n] for i in range(0, len(text), n)]
                for i, piece in enumerate(pieces + [""]):
                    last = i == len(pieces)
                    delay = script.first_delay_s if i == 0 else script.last_delay_s \
                        if i == len(pieces) - 1 else script.piece_delay_s
                    if delay and not last:
                        server._closing.wait(delay)
                    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [{"index": 0, "delta": {} if last else {"content": piece},
                                          "finish_reason": "stop" if last else None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                server.finished_times.append(time.monotonic())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="chat-server", daemon=True)

    def _next(self, body: dict[str, Any]) -> Reply:
        if callable(self.replies):
            return self.replies(body)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # hung and slow answers end now
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

