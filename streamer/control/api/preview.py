"""REST: the live preview. WebRTC (POST an offer, get an answer) and, for networks without UDP, MJPEG over plain
HTTP (an <img> can show it) and a single JPEG snapshot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ..auth import Principal, require
from ..preview.hub import PreviewFrame
from ..services import Services
from .deps import services, visible_stream

router = APIRouter(prefix="/api/streams/{stream_id}", tags=["preview"])

Svc = Annotated[Services, Depends(services)]
Reader = Annotated[Principal, Depends(require("read"))]
BOUNDARY = "streamerframe"
MJPEG_IDLE_S = 30.0  # end an MJPEG response when the stream sends nothing this long (stopped)


class SessionDescription(BaseModel):
    sdp: str = Field(min_length=1, max_length=100_000)
    type: Literal["offer"]


class Answer(BaseModel):
    sdp: str
    type: str


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


@router.post("/webrtc", response_model=Answer)
async def webrtc_offer(stream_id: str, offer: SessionDescription, svc: Svc, principal: Reader) -> Answer:
    await run_in_threadpool(visible_stream, svc, principal, stream_id)
    try:
        answer = await svc.webrtc.answer(stream_id, offer.sdp, offer.type)
    except RuntimeError as e:
        raise HTTPException(503, str(e)) from None
    except Exception as e:  # an SDP aiortc cannot parse or use raises anything from ValueError to KeyError
        raise HTTPException(422, f"sdp: cannot use this offer ({type(e).__name__}: {e})") from None
    return Answer(**answer)
