"""Build a neural avatar pack from a reference video or one portrait (`streamer avatars build`).

The source is decoded twice with PyAV: once to count and check it (length, size) before anything heavy runs, once
to write the frames straight into the memory-mapped ``frames.npy``, so a minute of HD video never sits in memory.
Faces are tracked (faces.py), cut at the model's face size and encoded once by the model itself
(``LipModel.encode_crops``), so the inference service only has to add audio. The pack is written into a temporary
sibling directory and renamed into place at the end: a failed build leaves nothing half-written behind.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import yaml

from ...errors import ConfigError
from ..pack import MANIFEST, NeuralManifest
from . import faces
from .models import MODEL_KINDS, LipModel, load_model, pick_device
from .pack import BOXES, CROPS, FRAMES, INPUTS, MASK, PORTRAIT

log = logging.getLogger(__name__)

MIN_SECONDS = 1.0
MAX_SECONDS = 60.0
MIN_SIDE_PX = 128
MAX_SIDE_PX = 1920
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
PORTRAIT_FPS = 25.0  # a one-frame pack still has a frame rate in its manifest
ENCODE_CHUNK = 64  # crops per encode_crops call: bounds the model's memory on long videos


def build_pack(source: Path, model: str, out: Path, models_dir: Path, device: str = "auto",
               force: bool = False) -> Path:
    """Write a ``kind: neural`` pack for ``model`` from ``source`` into ``out``; ConfigError names any problem."""
    source, out = Path(source), Path(out)
    if model not in MODEL_KINDS:
        raise ConfigError(f"unknown lip-sync model {model!r}; expected one of {', '.join(MODEL_KINDS)}")
    _check_out(out, force)
    if not source.is_file():
        raise ConfigError(f"{source}: {'not a file' if source.exists() else 'no such file'}")
    still = source.suffix.lower() in IMAGE_SUFFIXES
    n, fps, size = _probe_image(source) if still else _probe_video(source)
    lip = load_model(model, models_dir, pick_device(device))
    tmp = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _write(tmp, source, still, n, fps, size, model, lip, out.name)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _check_out(out: Path, force: bool) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a directory")
    if not any(out.iterdir()):
        return
    if not force:
        raise ConfigError(f"--out {out}: exists and is not empty (use --force to replace a neural pack there)")
    try:
        kind = (yaml.safe_load((out / MANIFEST).read_text(encoding="utf-8")) or {}).get("kind")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError):
        kind = None
    if kind != "neural":
        raise ConfigError(f"--out {out}: holds something other than a neural pack; --force only replaces a neural "
                          "pack, so choose another directory")


def _probe_image(source: Path) -> tuple[int, float, tuple[int, int]]:
    img = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if img is None:
        raise ConfigError(f"{source}: not a readable image")
    h, w = img.shape[:2]
    _check_size(source, w, h)
    return 1, PORTRAIT_FPS, (w, h)


def _open(source: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(source))
    except (av.FFmpegError, UnicodeDecodeError) as e:
        raise ConfigError(f"{source}: not a video or image FFmpeg can read ({e})") from None
    if not container.streams.video:
        container.close()
        raise ConfigError(f"{source}: has no video stream")
    return container


def _probe_video(source: Path) -> tuple[int, float, tuple[int, int]]:
    with _open(source) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate or rate <= 0:
            raise ConfigError(f"{source}: the video has no frame rate")
        fps = float(Fraction(rate))
        limit = int(MAX_SECONDS * fps) + 1
        n, size = 0, (0, 0)
        try:
            for frame in container.decode(stream):
                if n == 0:
                    size = (frame.width, frame.height)
                    _check_size(source, *size)
                elif (frame.width, frame.height) != size:
                    raise ConfigError(f"{source}: the frame size changes at frame {n} ({size[0]}x{size[1]} to "
                                      f"{frame.width}x{frame.height})")
                n += 1
                if n > limit:
                    raise ConfigError(f"{source}: too long: over {MAX_SECONDS:g} s; a pack loops {MIN_SECONDS:g} "
                                      f"to {MAX_SECONDS:g} s of video, so cut a calm stretch of it")
        except av.FFmpegError as e:
            raise ConfigError(f"{source}: unreadable video: decoding failed at frame {n} ({e})") from None
    if n == 0:
        raise ConfigError(f"{source}: the video has no frames")
    if n / fps < MIN_SECONDS:
        raise ConfigError(f"{source}: too short: {n / fps:.2f} s; a pack needs {MIN_SECONDS:g} to {MAX_SECONDS:g} s "
                          "of video (or one portrait image)")
    return n, fps, size


def _check_size(source: Path, w: int, h: int) -> None:
    if min(w, h) < MIN_SIDE_PX:
        raise ConfigError(f"{source}: too small: {w}x{h}; frames need at least {MIN_SIDE_PX} px on each side")
    if max(w, h) > MAX_SIDE_PX:
        raise ConfigError(f"{source}: too big: {w}x{h}; scale it to at most {MAX_SIDE_PX} px on the longer side")


def _frames(source: Path, still: bool) -> Iterator[np.ndarray]:
    if still:
        img = cv2.imread(str(source), cv2.IMREAD_COLOR)
        if img is None:
            raise ConfigError(f"{source}: not a readable image")
        yield cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        return
    with _open(source) as container:
        for frame in container.decode(container.streams.video[0]):
            yield frame.to_ndarray(format="rgb24")


def _write(tmp: Path, source: Path, still: bool, n: int, fps: float, size: tuple[int, int], model: str,
           lip: LipModel, name: str) -> None:
    w, h = size
    frames = np.lib.format.open_memmap(tmp / FRAMES, mode="w+", dtype=np.uint8, shape=(n, h, w, 3))
    count = 0
    for i, rgb in enumerate(_frames(source, still)):
        if i >= n:
            break
        frames[i] = rgb
        count = i + 1
    if count != n:
        raise ConfigError(f"{source}: unreadable video: {count} frames decoded the second time, {n} the first")
    log.info("%s: %d frames %dx%d at %.3g fps; tracking the face", source, n, w, h, fps)
    s = lip.face_size
    track = faces.track_faces(lambda i: frames[i], n, fps, size, s // 2, str(source))
    boxes = faces.crop_boxes(track, model, size)
    np.save(tmp / BOXES, boxes)
    crops = np.lib.format.open_memmap(tmp / CROPS, mode="w+", dtype=np.uint8, shape=(n, s, s, 3))
    for i in range(n):
        crops[i] = faces.cut_crop(frames[i], boxes[i], s)
    log.info("%s: face crops %d px; encoding them for %s", source, int(boxes[0, 2] - boxes[0, 0]), model)
    _encode(tmp / INPUTS, crops, lip)
    np.save(tmp / MASK, faces.blend_mask(s))
    cv2.imwrite(str(tmp / PORTRAIT), cv2.cvtColor(np.asarray(frames[0]), cv2.COLOR_RGB2BGR))
    fx, fy, fw, fh = (float(v) for v in track.boxes[0])
    mx, my, mw, mh = faces.find_lips(np.asarray(frames[0]), (fx, fy, fw, fh))
    mx, my = max(0, min(mx, w - mw)), max(0, min(my, h - mh))
    data = {"format": 1, "kind": "neural", "name": name, "title": f"built from {source.name}", "model": model,
            "fps": fps, "size": [w, h], "frames": n, "face_size": s, "portrait": PORTRAIT,
            "mouth_box": {"x": mx, "y": my, "w": mw, "h": mh}}
    NeuralManifest.model_validate(data)  # what is written is what the reader accepts
    (tmp / MANIFEST).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    frames.flush()
    crops.flush()


def _encode(path: Path, crops: np.ndarray, lip: LipModel) -> None:
    first = lip.encode_crops(np.asarray(crops[:ENCODE_CHUNK]))
    inputs = np.lib.format.open_memmap(path, mode="w+", dtype=first.dtype, shape=(len(crops), *first.shape[1:]))
    inputs[:len(first)] = first
    for start in range(ENCODE_CHUNK, len(crops), ENCODE_CHUNK):
        chunk = np.asarray(crops[start:start + ENCODE_CHUNK])
        inputs[start:start + len(chunk)] = lip.encode_crops(chunk)
    inputs.flush()
