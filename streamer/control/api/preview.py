"""REST: the live stream for viewers and the panel. WHEP (``POST .../whep`` an ``application/sdp`` offer: 201, the
answer, and a ``Location`` to ``DELETE``) and, for networks without UDP, MJPEG over plain HTTP (an <img> can show
it) and a single JPEG snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ..auth import Principal, require
from ..preview.hub import PreviewFrame
from ..preview.whep import NoH264
from ..services import Services
from ..supervisor.link import WorkerFiles
from ..supervisor.preview_tap import feed_path
from .deps import services, visible_stream

router = APIRouter(prefix="/api/streams/{stream_id}", tags=["preview"])

Svc = Annotated[Services, Depends(services)]
Reader = Annotated[Principal, Depends(require("read"))]
BOUNDARY = "streamerframe"
MJPEG_IDLE_S = 30.0  # end an MJPEG response when the stream sends nothing this long (stopped)
SDP = "application/sdp"
MAX_SDP_BYTES = 100_000


@router.get("/preview.jpg", responses={200: {"content": {"image/jpeg": {}}}, 404: {}})
async def snapshot(stream_id: str, svc: Svc, principal: Reader) -> Response:
    await run_in_threadpool(visible_stream, svc, principal, stream_id)
    frame = svc.previews.latest(stream_id)
    if frame is None:
        raise HTTPException(404, "no preview: the stream is not live")
    return Response(frame.jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/preview.mjpg", responses={200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}}})
async def mjpeg(stream_id: str, svc: Svc, principal: Reader) -> StreamingResponse:
    await run_in_threadpool(visible_stream, svc, principal, stream_id)

    async def frames() -> AsyncIterator[bytes]:
        last: PreviewFrame | None = None
        while True:
            frame = await svc.previews.next(stream_id, last, MJPEG_IDLE_S)
            if frame is None:
                return
            last = frame
            yield (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n\r\n"
                   .encode() + frame.jpeg + b"\r\n")

    return StreamingResponse(frames(), media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
                             headers={"Cache-Control": "no-store"})


@router.post("/whep", status_code=201, response_class=Response,
             responses={201: {"content": {SDP: {}}, "headers": {"Location": {"description": "the session: DELETE "
                                                                              "it to stop watching"}}},
                        409: {"description": "the stream is not live"}, 415: {}, 422: {}, 503: {}})
async def whep_offer(stream_id: str, request: Request, svc: Svc, principal: Reader) -> Response:
    """WHEP: play the stream (H.264 and Opus) from a complete SDP offer; the answer is complete too (no trickle)."""
    await run_in_threadpool(visible_stream, svc, principal, stream_id)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != SDP:
        raise HTTPException(415, f"a WHEP offer is sent as {SDP}")
    body = await request.body()
    if not body or len(body) > MAX_SDP_BYTES:
        raise HTTPException(422, f"sdp: expected an offer of 1 to {MAX_SDP_BYTES} bytes")
    if svc.backend.state(stream_id) != "live":
        raise HTTPException(409, f"stream {stream_id} is not live")
    feed = feed_path(WorkerFiles(svc.settings.worker_dir, stream_id).socket)
    try:
        session, answer = await svc.whep.answer(stream_id, feed, body.decode("utf-8", "replace"))
    except NoH264 as e:
        raise HTTPException(422, f"sdp: {e}") from None
    except RuntimeError as e:
        raise HTTPException(503, str(e)) from None
    except Exception as e:  # an SDP aiortc cannot parse or use raises anything from ValueError to KeyError
        raise HTTPException(422, f"sdp: cannot use this offer ({type(e).__name__}: {e})") from None
    return Response(answer, status_code=201, media_type=SDP,
                    headers={"Location": f"/api/streams/{stream_id}/whep/{session}", "Cache-Control": "no-store"})


@router.delete("/whep/{session_id}", status_code=200, response_class=Response, responses={404: {}})
async def whep_end(stream_id: str, session_id: str, svc: Svc, principal: Reader) -> Response:
    """End a WHEP session (the viewer's peer connection closes)."""
    await run_in_threadpool(visible_stream, svc, principal, stream_id)
    if svc.whep.owner(session_id) != stream_id or not await svc.whep.end(session_id):
        raise HTTPException(404, f"no WHEP session {session_id!r} on stream {stream_id!r}")
    return Response(status_code=200)
