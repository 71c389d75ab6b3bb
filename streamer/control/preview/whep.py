"""WHEP playback (RFC 9725's sibling for viewers): one aiortc peer connection per viewer, fed the stream's own
encode.

A viewer posts a complete SDP offer and gets a complete answer (no trickle ICE): H.264 video, packets passed
through from the session's encoder (no encode per viewer), and Opus audio encoded once per stream
(stream_feed.py). Every viewer of a stream shares its feed; the first viewer opens it, the last one closes it.
A viewer ends with ``DELETE`` on its session URL, when its connection fails, or when the stream's feed stays
away (the stream stopped).

ICE: host candidates of every interface (loopback and LAN need no server); ``STREAMER_ICE_SERVERS`` adds STUN or
TURN servers, comma separated (``stun:stun.example.org:3478``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ...media.rtc_media import H264_AND_OPUS, MediaItem, track_class
from .stream_feed import StreamFeed

log = logging.getLogger(__name__)

ICE_SERVERS_ENV = "STREAMER_ICE_SERVERS"
MAX_VIEWERS = 64


class NoH264(ValueError):
    """The offer accepts no H.264 video or no Opus audio."""


@dataclass(eq=False)
class _Viewer:
    id: str
    stream_id: str
    pc: object
    tracks: list = field(default_factory=list)


def ice_servers() -> list[object]:
    from aiortc import RTCIceServer

    urls = [u.strip() for u in os.environ.get(ICE_SERVERS_ENV, "").split(",") if u.strip()]
    return [RTCIceServer(urls=u) for u in urls]


class WhepViewers:
    """Every WHEP viewer of every stream, and the feeds they share."""

    def __init__(self) -> None:
        self._viewers: dict[str, _Viewer] = {}
        self._feeds: dict[str, StreamFeed] = {}
        self._ending: set[asyncio.Task[bool]] = set()

    def count(self, stream_id: str | None = None) -> int:
        return sum(1 for v in self._viewers.values() if stream_id is None or v.stream_id == stream_id)

    def frame_size(self, stream_id: str) -> tuple[int, int] | None:
        feed = self._feeds.get(stream_id)
        return None if feed is None or feed.header is None else (feed.header.width, feed.header.height)

    async def answer(self, stream_id: str, feed_path: Path, offer: str) -> tuple[str, str]:
        """(session id, SDP answer) for a viewer's offer. Raises NoH264, RuntimeError (too many viewers) or what
        aiortc raises on an offer it cannot use."""
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
        from aiortc.exceptions import OperationError

        if len(self._viewers) >= MAX_VIEWERS:
            raise RuntimeError(f"at most {MAX_VIEWERS} WebRTC viewers at once on this server")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers()))  # type: ignore[arg-type]
        viewer = _Viewer(secrets.token_urlsafe(12), stream_id, pc)
        feed_track = track_class()
        try:
            # the transceivers exist before the offer is applied, so the codecs are negotiated from ours: the
            # session's H.264 (with retransmission) and Opus, nothing else
            for kind, mimes in H264_AND_OPUS.items():
                track = feed_track(kind)
                viewer.tracks.append(track)
                transceiver = pc.addTransceiver(track, direction="sendonly")
                transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities(kind).codecs
                                                 if c.mimeType.lower() in mimes])
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            except OperationError as e:
                raise NoH264(f"the offer must accept H.264 video and Opus audio ({e})") from None
            await pc.setLocalDescription(await pc.createAnswer())  # gathers candidates: the answer is complete
        except Exception:
            await pc.close()
            raise

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.end(viewer.id)

        self._viewers[viewer.id] = viewer
        self._feed(stream_id, feed_path)
        return viewer.id, pc.localDescription.sdp

    def owner(self, session_id: str) -> str | None:
        viewer = self._viewers.get(session_id)
        return None if viewer is None else viewer.stream_id

    async def end(self, session_id: str) -> bool:
        viewer = self._viewers.pop(session_id, None)
        if viewer is None:
            return False
        for track in viewer.tracks:
            track.stop()
        await viewer.pc.close()  # type: ignore[attr-defined]
        if not self.count(viewer.stream_id):
            feed = self._feeds.pop(viewer.stream_id, None)
            if feed is not None:
                feed.close()
        return True

    async def close(self) -> None:
        await asyncio.gather(*(self.end(sid) for sid in list(self._viewers)), *self._ending, return_exceptions=True)

    # --- the feeds -----------------------------------------------------------------------------------------------
    def _feed(self, stream_id: str, path: Path) -> None:
        if stream_id in self._feeds:
            return
        loop = asyncio.get_running_loop()

        def deliver(item: MediaItem) -> None:
            for v in self._viewers.values():
                if v.stream_id == stream_id:
                    for track in v.tracks:
                        if track.kind == item.kind:
                            track.offer(item)

        def gone() -> None:
            log.info("stream %s: its feed is gone; ending its %d WebRTC viewer(s)", stream_id, self.count(stream_id))
            for sid in [sid for sid, v in self._viewers.items() if v.stream_id == stream_id]:
                task = loop.create_task(self.end(sid), name=f"whep:end:{sid}")
                self._ending.add(task)
                task.add_done_callback(self._ending.discard)

        feed = self._feeds[stream_id] = StreamFeed(stream_id, path, loop, deliver, gone)
        feed.start()
