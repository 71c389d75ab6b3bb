"""WHIP push (RFC 9725): the session's encode published to a WebRTC ingest, ``whip+https://TOKEN@host/path``.

One aiortc peer per connection, on an event loop in the output's own thread: the session only puts packets into the
output's bounded queue (dropped, and resumed at the next keyframe, when the ingest is away or slow), so no ingest
can hold up the session or the other outputs. Publishing is one HTTP round trip: a complete SDP offer (H.264 and
Opus, no trickle) POSTed with ``Authorization: Bearer TOKEN``, ``201 Created`` with the answer and a ``Location``,
which gets a ``DELETE`` when the stream stops or the connection is replaced. The video is the session's own H.264
(no second encode); the AAC becomes Opus here (media/opus.py); both are sent when due on one anchor
(media/rtc_media.py), so the ingest gets the session's audio-master timing.

A connection counts as lost when ICE says so or when the ingest sends no RTCP receiver report for ``SILENT_S``
(an ingest that died says nothing); then the output reconnects with the RTMP output's backoff. The token travels
only in the Authorization header: logs and health show the URL with it masked.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import time
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import av

from ..errors import OutputError
from .encoder import EncodedPacket
from .feed import FeedPacket
from .opus import AUDIO_RATE, OpusTranscoder
from .outputs import _STOP, NETWORK_TIMEOUT_S, RECONNECT_BACKOFF_S, Output
from .rtc_media import H264_AND_OPUS, VIDEO_RATE, Anchor, track_class

log = logging.getLogger(__name__)

SCHEMES = ("whip+http", "whip+https")
SDP = "application/sdp"
LATENCY_S = 0.12
REANCHOR_S = 0.5
SILENT_S = 6.0  # receivers report about once a second
WATCH_S = 1.0
DELETE_TIMEOUT_S = 2.0
PULL_S = 0.2


class WhipRefused(OSError):
    """The ingest answered the offer with something other than 201 and an answer."""


class WhipOutput(Output):
    live = True

    def __init__(self, target: str) -> None:
        super().__init__(target)
        parts = urlsplit(target)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise OutputError(f"{redact_whip(target)}: not a whip+http(s):// URL with a host")
        self._token = unquote(parts.password or parts.username or "") or None
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.endpoint = urlunsplit((parts.scheme.removeprefix("whip+"), netloc, parts.path or "/", parts.query, ""))
        self._peer: _Publish | None = None

    @property
    def display(self) -> str:
        return redact_whip(self.target)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        stop = asyncio.Event()
        pull = asyncio.create_task(self._pull(stop), name=f"whip:pull:{self.display}")
        attempt = 0
        try:
            while not stop.is_set():
                self.stats.state = "reconnecting" if self.stats.connects else "starting"
                peer = _Publish(self.endpoint, self._token, self._audio_extradata())
                try:
                    await asyncio.wait_for(peer.open(), NETWORK_TIMEOUT_S)
                except (OSError, TimeoutError, ValueError) as e:  # refused, unreachable, a bad answer
                    await peer.close()
                    attempt = await self._backoff(stop, attempt, f"connect failed: {_reason(e)}")
                    continue
                self._peer, self.stats.state = peer, "live"
                self.stats.connects += 1
                log.info("%s: connected", self.display)
                reason = await peer.until_lost(stop)
                self._peer = None
                await peer.close()
                if reason is not None:
                    attempt = await self._backoff(stop, 0, f"connection lost: {reason}")
        finally:
            stop.set()
            pull.cancel()
            await asyncio.gather(pull, return_exceptions=True)
            self.stats.state = "closed"

    async def _pull(self, stop: asyncio.Event) -> None:
        """Move the session's packets from the output's queue to the connected peer (or drop them)."""
        loop = asyncio.get_running_loop()
        assert self._templates is not None
        extradata = self._templates[0].codec_context.extradata or b""
        while True:
            item = await loop.run_in_executor(None, self._get)
            if item is _STOP:
                stop.set()
                return
            if item is None:
                if self._stop.is_set():  # close() gave up on a flush
                    stop.set()
                    return
                continue
            assert isinstance(item, EncodedPacket)
            peer = self._peer
            if peer is None or item.pts is None:
                self.stats.packets_dropped += 1
                continue
            peer.send(item, extradata)
            self.stats.packets_sent += 1

    def _get(self) -> object:
        try:
            return self._queue.get(timeout=PULL_S)
        except queue.Empty:
            return None

    def _audio_extradata(self) -> bytes:
        assert self._templates is not None
        return self._templates[1].codec_context.extradata or b""

    async def _backoff(self, stop: asyncio.Event, attempt: int, reason: str) -> int:
        delay = RECONNECT_BACKOFF_S[min(attempt, len(RECONNECT_BACKOFF_S) - 1)]
        self.stats.last_error = reason
        log.warning("%s: %s; retrying in %.1f s", self.display, reason, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            pass
        return attempt + 1


class _Publish:
    """One WHIP session: the peer, its two tracks and the resource the ingest made for it."""

    def __init__(self, endpoint: str, token: str | None, aac_extradata: bytes) -> None:
        from aiortc import RTCPeerConnection

        self.endpoint = endpoint
        self.token = token
        self.location: str | None = None
        self.pc = RTCPeerConnection()
        feed_track = track_class()
        self.tracks = {kind: feed_track(kind) for kind in H264_AND_OPUS}
        self._clock = Anchor(LATENCY_S, REANCHOR_S)
        self._audio = OpusTranscoder(aac_extradata)
        self._lost = asyncio.Event()
        self._why = ""

        @self.pc.on("connectionstatechange")
        def _state() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                self._why = f"ICE {self.pc.connectionState}"
                self._lost.set()

    async def open(self) -> None:
        import httpx
        from aiortc import RTCRtpSender, RTCSessionDescription

        for kind, mimes in H264_AND_OPUS.items():
            transceiver = self.pc.addTransceiver(self.tracks[kind], direction="sendonly")
            transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities(kind).codecs
                                             if c.mimeType.lower() in mimes])
        await self.pc.setLocalDescription(await self.pc.createOffer())  # gathers candidates: a complete offer
        try:
            async with httpx.AsyncClient(timeout=NETWORK_TIMEOUT_S) as http:
                r = await http.post(self.endpoint, content=self.pc.localDescription.sdp, headers=self._headers(SDP))
        except httpx.HTTPError as e:
            raise OSError(f"{type(e).__name__}: {e}") from None
        if r.status_code != 201 or not r.headers.get("content-type", "").startswith(SDP):
            raise WhipRefused(f"the ingest answered HTTP {r.status_code}, not 201 with an SDP answer")
        location = r.headers.get("location")
        if not location:
            raise WhipRefused("the ingest's 201 has no Location")
        self.location = urljoin(self.endpoint, location)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=r.text, type="answer"))
        connected = asyncio.Event()

        @self.pc.on("connectionstatechange")
        def _connected() -> None:
            if self.pc.connectionState == "connected":
                connected.set()

        await connected.wait()

    def send(self, packet: EncodedPacket, video_extradata: bytes) -> None:
        assert packet.pts is not None
        if packet.kind == "video":
            t = float(packet.pts * packet.time_base)
            data = video_extradata + packet.data if packet.keyframe else packet.data
            self.tracks["video"].offer(self._clock.item("video", t, round(t * VIDEO_RATE), data, packet.keyframe))
            return
        try:
            opus = self._audio.transcode(FeedPacket("audio", False, packet.pts, packet.time_base, packet.data))
        except av.FFmpegError as e:
            log.debug("an AAC packet did not decode: %s", e)
            return
        for pts, data in opus:
            self.tracks["audio"].offer(self._clock.item("audio", pts / AUDIO_RATE, pts, data, False))

    async def until_lost(self, stop: asyncio.Event) -> str | None:
        """Wait until the connection is lost (its reason) or the output stops (None)."""
        heard = time.monotonic()
        last_report: object = None
        while not stop.is_set() and not self._lost.is_set():
            try:
                await asyncio.wait_for(stop.wait(), WATCH_S)
            except TimeoutError:
                pass
            report = _last_receiver_report(await self.pc.getStats())
            if report != last_report:
                last_report, heard = report, time.monotonic()
            elif time.monotonic() - heard > SILENT_S:
                return f"no receiver report for {SILENT_S:.0f} s"
        return self._why if self._lost.is_set() and not stop.is_set() else None

    async def close(self) -> None:
        for track in self.tracks.values():
            track.stop()
        await self.pc.close()
        if self.location is None:
            return
        import httpx

        try:  # RFC 9725: the session's resource goes; an ingest that died does not answer, and that is fine
            async with httpx.AsyncClient(timeout=DELETE_TIMEOUT_S) as http:
                await http.delete(self.location, headers=self._headers())
        except httpx.HTTPError as e:
            log.debug("DELETE of the WHIP session failed: %s", type(e).__name__)

    def _headers(self, content_type: str | None = None) -> dict[str, str]:
        headers = {"Content-Type": content_type} if content_type else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


def _last_receiver_report(stats: dict[str, Any]) -> object:
    """When the ingest last reported reception (the remote-inbound-rtp stats change with each report)."""
    return tuple(sorted((s.id, s.timestamp) for s in stats.values() if s.type == "remote-inbound-rtp"))


def _reason(e: BaseException) -> str:
    return str(e) or type(e).__name__


def redact_whip(url: str) -> str:
    """A WHIP URL as it may be logged or shown: the bearer token and any query masked."""
    parts = urlsplit(url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    token = "****@" if parts.username or parts.password else ""
    return f"{parts.scheme}://{token}{host}{parts.path}{'?****' if parts.query else ''}"
