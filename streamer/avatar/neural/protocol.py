"""What travels between a session (the client) and the machine's inference service: one discriminated union each
way, framed so numpy arrays pass as raw bytes.

Client -> service (``ToService``): ``open_stream`` (a pack and the model to paint it with; answered by ``opened``
or ``error`` repeating its ``req``), ``begin_utterance`` (its mono float32 16 kHz PCM is the payload), ``submit``
(work items ``(j, i)``: frame offset j in the utterance, pack frame index i), ``drop`` (forget an utterance's
queued items), ``close_stream``, ``stats`` (answered by ``stats_reply``).

Service -> client (``FromService``): ``opened``, ``result`` (one painted face crop, ``(S, S, 3)`` uint8 as the
payload), ``error`` (about a request when ``req`` is set, else about a stream's utterance), ``stats_reply``.

Utterances are numbered by the client (``utt``, unique per stream for the client's life), so a result of an
utterance dropped while it was on the wire can never be taken for one of a later utterance with the same name.

A frame is two big-endian u32 lengths (JSON, payload), the message as JSON, then the payload; a message that carries
an array names its ``shape`` and ``dtype``, and the payload must be exactly that many bytes. Arrays are rebuilt with
``np.frombuffer`` (never pickle). Anything else (too large, bad JSON, an unknown type, a payload of the wrong size)
is a ``ProtocolError``, and the service closes that connection only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ...errors import ConfigError
from ...framing import HEADER, FrameReader

MAX_JSON_BYTES = 1024 * 1024
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024  # an utterance of about 17 minutes of float32 audio
DTYPES = {"uint8": np.uint8, "float32": np.float32}

ModelKind = Literal["wav2lip", "musetalk"]


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame."""


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _ArrayMsg(_Msg):
    shape: list[Annotated[int, Field(ge=0)]]
    dtype: Literal["uint8", "float32"]


# --- client -> service ----------------------------------------------------------------------------------------

class OpenStream(_Msg):
    type: Literal["open_stream"] = "open_stream"
    req: int
    pack_dir: str = Field(description="a neural pack directory (its inputs.npy is loaded to the device)")
    model: ModelKind
    models_dir: str = Field(description="where the model's released files are (STREAMER_MODELS_DIR)")


class BeginUtterance(_ArrayMsg):
    """The payload is the utterance's mono float32 16 kHz PCM; the service computes its audio features once."""

    type: Literal["begin_utterance"] = "begin_utterance"
    stream: int
    utt: int
    fps: float = Field(gt=0, le=120)
    n_frames: int = Field(ge=1)


class Submit(_Msg):
    type: Literal["submit"] = "submit"
    stream: int
    utt: int
    items: list[tuple[int, int]] = Field(min_length=1, description="(frame offset j in the utterance, pack frame i)")


class Drop(_Msg):
    type: Literal["drop"] = "drop"
    stream: int
    utt: int


class CloseStream(_Msg):
    type: Literal["close_stream"] = "close_stream"
    stream: int


class Stats(_Msg):
    type: Literal["stats"] = "stats"
    req: int


# --- service -> client ----------------------------------------------------------------------------------------

class Opened(_Msg):
    type: Literal["opened"] = "opened"
    req: int
    stream: int
    face_size: int
    frames: int = Field(description="pack frames: valid pack indices are 0..frames-1")
    device: str
    model: ModelKind
    max_in_flight: int = Field(description="items a stream may have submitted and not yet received")


class Result(_ArrayMsg):
    """One painted crop: the payload is ``(S, S, 3)`` uint8 RGB."""

    type: Literal["result"] = "result"
    stream: int
    utt: int
    j: int


class Error(_Msg):
    type: Literal["error"] = "error"
    message: str
    req: int | None = Field(default=None, description="the request it answers")
    stream: int | None = None
    utt: int | None = Field(default=None, description="the utterance that failed (its items will not come)")


class StatsReply(_Msg):
    type: Literal["stats_reply"] = "stats_reply"
    req: int
    stats: dict[str, Any]


ToService = Annotated[OpenStream | BeginUtterance | Submit | Drop | CloseStream | Stats, Field(discriminator="type")]
FromService = Annotated[Opened | Result | Error | StatsReply, Field(discriminator="type")]
TO_SERVICE: TypeAdapter[ToService] = TypeAdapter(ToService)
FROM_SERVICE: TypeAdapter[FromService] = TypeAdapter(FromService)


# --- framing --------------------------------------------------------------------------------------------------

def frame(msg: BaseModel, array: np.ndarray | None = None) -> bytes:
    """One frame: the message, and the array's raw bytes as the payload (its shape and dtype are in the message)."""
    payload = b"" if array is None else np.ascontiguousarray(array).tobytes()
    data = pydantic_core.to_json(msg.model_dump(mode="json"))
    if len(data) > MAX_JSON_BYTES or len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"message too large ({len(data)} + {len(payload)} bytes)")
    return HEADER.pack(len(data), len(payload)) + data + payload


def array_fields(array: np.ndarray) -> dict[str, Any]:
    """The ``shape`` and ``dtype`` fields of a message that carries ``array``."""
    name = array.dtype.name
    if name not in DTYPES:
        raise ProtocolError(f"arrays travel as {sorted(DTYPES)}, not {name}")
    return {"shape": list(array.shape), "dtype": name}


def payload_array(msg: _ArrayMsg, payload: bytes) -> np.ndarray:
    """The message's array, rebuilt from the payload (read-only, no copy)."""
    dtype = np.dtype(DTYPES[msg.dtype])
    count = int(np.prod(msg.shape, dtype=np.int64))
    if count * dtype.itemsize != len(payload):
        raise ProtocolError(f"payload is {len(payload)} bytes, {msg.shape} {msg.dtype} needs {count * dtype.itemsize}")
    return np.frombuffer(payload, dtype=dtype).reshape(msg.shape)


def parse_to_service(data: bytes, payload: bytes) -> tuple[ToService, bytes]:
    return _parse(TO_SERVICE, data, payload)


def parse_from_service(data: bytes, payload: bytes) -> tuple[FromService, bytes]:
    return _parse(FROM_SERVICE, data, payload)


def _parse(adapter: TypeAdapter[Any], data: bytes, payload: bytes) -> tuple[Any, bytes]:
    try:
        msg = adapter.validate_json(data)
    except pydantic.ValidationError as e:
        raise ProtocolError(f"not a valid message: {e.errors(include_url=False)[:1]}") from None
    if not isinstance(msg, _ArrayMsg) and payload:
        raise ProtocolError(f"a {msg.type} message carries no payload")
    return msg, payload


_FRAMES = FrameReader(MAX_JSON_BYTES, MAX_PAYLOAD_BYTES, ProtocolError, "the connection")
read_frame = _FRAMES.read  # the next frame (JSON, payload); None at a clean end of stream
read_frame_blocking = _FRAMES.read_blocking  # the same from a blocking socket (the client's reader thread)


# --- where the service listens --------------------------------------------------------------------------------

SOCKET_ENV = "STREAMER_INFERENCE_SOCKET"
SUN_PATH_MAX = 107


def socket_path() -> Path:
    """``$STREAMER_INFERENCE_SOCKET``, else ``$XDG_RUNTIME_DIR/streamer/inference.sock``, else
    ``/tmp/streamer-<uid>/inference.sock``."""
    if os.environ.get(SOCKET_ENV):
        return Path(os.environ[SOCKET_ENV])
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) / "streamer" if runtime else Path(f"/tmp/streamer-{os.getuid()}")
    return base / "inference.sock"


def check_socket_path(path: Path) -> None:
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise ConfigError(f"the inference socket path {path} is longer than {SUN_PATH_MAX} bytes; set "
                          f"{SOCKET_ENV} to a shorter one")
