"""Length-prefixed frames over a stream socket, read the same way by every local link: the worker link
(control/supervisor/link.py) and the inference service's protocol (avatar/neural/protocol.py).

A frame is two big-endian u32 lengths (JSON, payload), the message as JSON, then the binary payload, so a frame is
read in three exact reads and bytes never pass through JSON. Each link sets its own size limits and error class.
"""

from __future__ import annotations

import asyncio
import socket
import struct

HEADER = struct.Struct("!II")


class FrameReader:
    """Reads frames no larger than its limits; a frame too large or cut short raises ``error`` naming ``peer``."""

    def __init__(self, max_json: int, max_payload: int, error: type[Exception], peer: str) -> None:
        self.max_json, self.max_payload = max_json, max_payload
        self.error, self.peer = error, peer

    def _lengths(self, head: bytes) -> tuple[int, int]:
        json_len, payload_len = HEADER.unpack(head)
        if json_len > self.max_json or payload_len > self.max_payload:
            raise self.error(f"frame too large ({json_len} + {payload_len} bytes)")
        return json_len, payload_len

    async def read(self, reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
        """The next frame (JSON, payload); None at a clean end of stream."""
        try:
            head = await reader.readexactly(HEADER.size)
        except asyncio.IncompleteReadError as e:
            if e.partial:
                raise self.error(f"{self.peer} closed mid-frame") from None
            return None
        json_len, payload_len = self._lengths(head)
        try:
            return await reader.readexactly(json_len), await reader.readexactly(payload_len)
        except asyncio.IncompleteReadError:
            raise self.error(f"{self.peer} closed mid-frame") from None

    def read_blocking(self, sock: socket.socket) -> tuple[bytes, bytes] | None:
        """The same from a blocking socket. A socket timeout between frames propagates (TimeoutError); inside a
        frame it is waited out, so a frame is never cut."""
        head = self._recv_exact(sock, HEADER.size, first=True)
        if head is None:
            return None
        json_len, payload_len = self._lengths(head)
        return self._recv_exact(sock, json_len) or b"", self._recv_exact(sock, payload_len) or b""

    def _recv_exact(self, sock: socket.socket, n: int, first: bool = False) -> bytes | None:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            try:
                k = sock.recv_into(view[got:], n - got)
            except TimeoutError:
                if first and got == 0:
                    raise
                continue
            if k == 0:
                if first and got == 0:
                    return None
                raise self.error(f"{self.peer} closed mid-frame")
            got += k
        return bytes(buf)
