"""The scene's host for a neural pack: the reference video idles on screen and, while the host speaks, each frame's
face is repainted by the machine's inference service from the voice about to play.

Per frame the pack frame is the ping-pong idle loop at the frame's time. Silent frames are that source frame
untouched (only scaled into the host box). The scene's render window (scene/window.py) tells the host, ahead of air
time, which frames it will draw and what is said over them (``prepare``): the utterance on air and the next one
ready, so the faces of an utterance's first frames are asked for before it starts. Each utterance in the window is
begun on the service once, and its voiced frames not yet asked for go in one batched submit, each with the pack
frame it will be shown over, never more than the window in flight (a service that falls behind is not given frames
it will paint too late). A frame takes its repainted face with a wait of at most ``RESULT_WAIT_S`` and pastes it
back into the source frame's face box through the pack's feathered mask, so the crop border never shows. A face not
back in time, or never asked for, leaves the idle source frame on air (counted as starved): the stream never goes
late for the network. A file render has no clock to keep, so it waits for every face (``live=False``).

An utterance that leaves the window (an interrupt, a cut-in, a start other than predicted) is dropped on the service
at once, and a face is only ever taken for the utterance on air at its own start, so nothing of an interrupted
sentence is shown. When the service cannot be reached, fails, or most speaking frames of the last
``STARVED_WINDOW_S`` are starved, the host switches by itself to a photo host made from the pack's portrait (the
compositor still computes mouth shapes for it), logs a warning, and ``health()`` says why.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ...errors import ConfigError, StreamerError
from ...scene.captions import utterance_key
from ...scene.state import Speaking
from ...tts.base import SAMPLE_RATE
from ..blend import Sprite, over
from ..host import HostFrame, HostPose
from ..pack import GestureSpec, MotionSpec
from ..photo import EDGE_FEATHER, PhotoHost, _feather_edges
from .client import InferenceClient, StreamHandle
from .mel import resample_to_16k
from .models import models_dir
from .pack import NeuralPack, load_pack, pingpong

log = logging.getLogger(__name__)

RESULT_WAIT_S = 0.004  # longest a live frame waits for its face: far inside a 30 fps frame's 33 ms
OFFLINE_WAIT_S = 30.0  # a file render has no clock to keep and waits for every face, up to this long
VOICE_WINDOW_S = 0.2  # the voice a lip-sync network paints a frame from (Wav2Lip: 16 mel frames)
SILENCE_RMS = 1e-3  # -60 dBFS over that window: a pause in the utterance, which shows the source frame
STARVED_WINDOW_S = 3.0  # speaking time over which starvation is judged
STARVED_SHARE = 0.5  # more than this share of those frames idle: the device cannot keep up, fall back


@dataclass(slots=True)
class _Utterance:
    """An utterance begun on the service: its name there, frame count, voiced frames and the faces asked for."""

    name: str
    n_frames: int
    voiced: np.ndarray  # per frame: is there voice to paint from
    asked: dict[int, int] = field(default_factory=dict)  # frame offset -> the pack frame its face is painted on


class NeuralHost:
    """A ``Host`` for a ``kind: neural`` pack, ``height`` pixels tall, in a stream of ``fps`` frames a second.
    ``live``: frames go out on the clock, so a face not back within ``RESULT_WAIT_S`` is skipped; otherwise (a file
    render) each face is waited for, and one not back within ``OFFLINE_WAIT_S`` means the service is stuck."""

    def __init__(self, pack_dir: Path, height: int, fps: float, *, live: bool = True,
                 wait_s: float | None = None) -> None:
        if fps <= 0 or height < 2:
            raise ConfigError(f"neural host: fps {fps} and height {height} must be positive")
        self.pack: NeuralPack = load_pack(pack_dir)
        m = self.pack.manifest
        self.name = m.name
        self.fps = float(fps)
        self.motion = MotionSpec()
        self.gestures: dict[str, GestureSpec] = {}  # a video cannot raise an arm on cue
        self.live = live
        self.wait_s = wait_s if wait_s is not None else RESULT_WAIT_S if live else OFFLINE_WAIT_S
        fh, fw = self.pack.frames.shape[1:3]
        self.scale = height / fh
        self.size = (max(1, round(fw * self.scale)), height)
        self.anchor = (self.size[0] / 2, float(height))
        b, s = m.mouth_box, self.scale
        self.mouth_rect = (round(b.x * s), round(b.y * s), round(b.w * s), round(b.h * s))
        self._alpha, self._inv = _edge_alpha(self.size, max(2, int(EDGE_FEATHER * height)))
        # built now, not when the device falls behind: switching must not cost a late frame
        self._photo = PhotoHost(pack_dir, self.pack.photo_manifest(), height)
        self.frames_painted = 0
        self.frames_idle_starved = 0
        self.fallback: str | None = None
        self.model = m.model
        self.device: str | None = None
        self._recent: deque[bool] = deque(maxlen=max(1, round(STARVED_WINDOW_S * self.fps)))
        self._utts: dict[tuple[float, int], _Utterance] = {}  # begun on the service, by utterance_key
        self._seq = 0
        self._cached: tuple[int, np.ndarray] | None = None  # the last idle frame, scaled (pack fps < stream fps)
        self._client: InferenceClient | None = None
        self._stream: StreamHandle | None = None
        try:
            self._client = InferenceClient()
            self._stream = self._client.open_stream(pack_dir, m.model, models_dir())
            self.device = self._stream.device
        except (StreamerError, OSError) as e:
            self._fall_back(f"inference service unavailable: {e}")

    # -- the Host protocol ----------------------------------------------------------------------------------------
    def prepare(self, frames: Sequence[HostFrame]) -> None:
        """Ask the service, in one submit per utterance, for the faces of ``frames`` not yet asked for; drop the
        utterances with no frame in them."""
        if self.fallback is not None or self._stream is None:
            return
        try:
            self._ask(frames)
        except (StreamerError, OSError) as e:
            self._fall_back(f"inference service failed: {e}")

    def draw(self, frame: np.ndarray, x: int, y: int, pose: HostPose, clip_bottom: int | None = None) -> None:
        if self.fallback is not None:
            self._photo.draw(frame, x, y, pose, clip_bottom)
            return
        t = pose.t if pose.t is not None else 0.0
        i = pingpong(int(t * self.pack.manifest.fps), len(self.pack.frames))
        starved = self.frames_idle_starved
        try:
            crop, i = self._face(pose.speaking, t, i)
        except (StreamerError, OSError) as e:
            self._fall_back(f"inference service failed: {e}")
            self._photo.draw(frame, x, y, pose, clip_bottom)
            return
        rgb = self._idle(i) if crop is None else self._paste(i, crop)
        over(frame, Sprite(cv2.multiply(rgb, self._alpha, scale=1 / 255.0), self._inv, self._alpha[..., 0]),
             x, y, clip_bottom)
        reason = self._starving(self.frames_idle_starved > starved)
        if reason is not None:
            self._fall_back(reason)

    def health(self) -> dict[str, object]:
        return {"renderer": "neural", "model": self.model, "device": self.device,
                "frames_painted": self.frames_painted, "frames_idle_starved": self.frames_idle_starved,
                "fallback": self.fallback}

    def close(self) -> None:
        """Free this host's stream on the service (its utterances with it) and the connection."""
        self._utts.clear()
        stream, client, self._stream, self._client = self._stream, self._client, None, None
        if stream is not None:
            try:
                stream.close()
            except (StreamerError, OSError) as e:  # the service is gone: nothing of ours is left there
                log.debug("closing the inference stream: %s", e)
        if client is not None:
            client.close()

    # -- look-ahead ----------------------------------------------------------------------------------------------
    def _ask(self, frames: Sequence[HostFrame]) -> None:
        assert self._stream is not None
        window = [f for f in frames if f.speaking is not None]
        keys = {utterance_key(f.speaking) for f in window if f.speaking is not None}
        for key in [k for k in self._utts if k not in keys]:
            self._drop(key)
        if not window:
            return
        room = len(frames) - self._stream.in_flight
        items: dict[tuple[float, int], list[tuple[int, int]]] = {}
        n, pack_fps = len(self.pack.frames), self.pack.manifest.fps
        for f in window:
            sp = f.speaking
            assert sp is not None
            key = utterance_key(sp)
            u = self._utts.get(key) or self._begin(sp, key)
            j = round((f.t - sp.start_s) * self.fps)
            if not 0 <= j < u.n_frames or j in u.asked or not u.voiced[j] or room <= 0:
                continue
            u.asked[j] = pingpong(int(f.t * pack_fps), n)
            items.setdefault(key, []).append((j, u.asked[j]))
            room -= 1
        for key, batch in items.items():
            self._stream.submit(self._utts[key].name, batch)

    def _face(self, sp: Speaking | None, t: float, i: int) -> tuple[np.ndarray | None, int]:
        """The repainted face for this frame (None: show the idle frame) and the pack frame it belongs to."""
        if sp is None:
            return None, i
        u = self._utts.get(utterance_key(sp))
        j = round((t - sp.start_s) * self.fps)
        if u is not None and (not 0 <= j < u.n_frames or not u.voiced[j]):  # past its end, or a pause: the source
            return None, i
        crop = None
        if u is not None and j in u.asked:  # else it was never asked for: not prepared, or no room in flight
            assert self._stream is not None
            painted_on = u.asked.pop(j)
            crop = self._stream.result(u.name, j, self.wait_s)
            i = painted_on if crop is not None else i
        self._recent.append(crop is None)
        if crop is None:
            self.frames_idle_starved += 1
            return None, i
        self.frames_painted += 1
        return crop, i

    def _begin(self, sp: Speaking, key: tuple[float, int]) -> _Utterance:
        assert self._stream is not None
        self._seq += 1
        pcm = np.asarray(sp.pcm, np.float32)
        n_frames = max(1, math.ceil(pcm.size / SAMPLE_RATE * self.fps))
        u = self._utts[key] = _Utterance(f"u{self._seq}", n_frames, voiced_frames(pcm, SAMPLE_RATE, self.fps, n_frames))
        self._stream.begin_utterance(u.name, resample_to_16k(pcm, SAMPLE_RATE), self.fps, n_frames)
        return u

    def _drop(self, key: tuple[float, int]) -> None:
        """An utterance that will not play (any more): the service stops painting it and its faces are never
        shown."""
        u = self._utts.pop(key)
        if self._stream is not None:
            self._stream.drop(u.name)

    def _starving(self, now: bool) -> str | None:
        """Why the host should give up on the service after this frame (``now``: its face did not come), if so."""
        if now and not self.live:
            return f"no face came back within {self.wait_s:g} s (the inference service is stuck)"
        late = sum(self._recent)
        if len(self._recent) == self._recent.maxlen and late > STARVED_SHARE * len(self._recent):
            return (f"starved: {late} of the last {len(self._recent)} speaking frames showed the idle frame (the "
                    "device cannot keep up)")
        return None

    def _fall_back(self, reason: str) -> None:
        log.warning("neural host %s: %s; switching to the photo host from its portrait", self.name, reason)
        self.fallback = reason
        self.close()

    # -- pixels --------------------------------------------------------------------------------------------------
    def _idle(self, i: int) -> np.ndarray:
        """Pack frame ``i`` scaled into the host box (the last one is kept: the video's fps is often lower)."""
        if self._cached is None or self._cached[0] != i:
            self._cached = (i, self._fit(np.asarray(self.pack.frames[i])))
        return self._cached[1]

    def _fit(self, rgb: np.ndarray) -> np.ndarray:
        w, h = self.size
        # halvings take OpenCV's fast integer area path (no aliasing); the rest of the way is bilinear, a tenth
        # of the cost of a fractional area resize, which would take most of a frame's budget at 1080p
        while rgb.shape[0] >= 2 * h and rgb.shape[1] >= 2 * w:
            rgb = cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2), interpolation=cv2.INTER_AREA)
        if rgb.shape[:2] == (h, w):
            return np.ascontiguousarray(rgb)
        return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR)

    def _paste(self, i: int, crop: np.ndarray) -> np.ndarray:
        """Pack frame ``i`` in the host box with ``crop`` resized into its face box, blended through the feathered
        mask. Pasted at the box's scale, so only the face box is resampled each frame, not the whole frame."""
        out = self._idle(i).copy()
        x0, y0, x1, y1 = (int(round(float(v) * self.scale)) for v in self.pack.boxes[i])
        size = (x1 - x0, y1 - y0)
        face = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR).astype(np.float32)
        mask = cv2.resize(self.pack.mask, size, interpolation=cv2.INTER_LINEAR)[..., None]
        region = out[y0:y1, x0:x1].astype(np.float32)
        # where the mask is 0 (the whole crop border) this is the source pixel exactly: no seam
        out[y0:y1, x0:x1] = (region + (face - region) * mask + 0.5).astype(np.uint8)
        return out


def voiced_frames(pcm: np.ndarray, rate: int, fps: float, n_frames: int) -> np.ndarray:
    """Which of an utterance's frames have voice in the window a lip-sync network paints them from: the others (its
    pauses) are shown as the source frames and cost the device nothing."""
    energy = np.concatenate([[0.0], np.cumsum(np.square(pcm, dtype=np.float64))])
    a = np.clip((np.arange(n_frames) * rate / fps).astype(np.int64), 0, pcm.size)
    b = np.clip(a + int(VOICE_WINDOW_S * rate), 0, pcm.size)
    return np.sqrt((energy[b] - energy[a]) / np.maximum(b - a, 1)) >= SILENCE_RMS


def _edge_alpha(size: tuple[int, int], r: int) -> tuple[np.ndarray, np.ndarray]:
    """Alpha (3 channels) and 255 - alpha of the opaque host box with the photo host's soft top and side borders."""
    w, h = size
    a3 = np.ascontiguousarray(_feather_edges(np.full((h, w, 4), 255, np.uint8), r)[..., :3])
    return a3, 255 - a3
