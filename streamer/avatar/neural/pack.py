"""Neural avatar packs on disk: the arrays `streamer avatars build` writes and the neural host plays from.

A pack is a directory (format in assets/avatars/README.md, "Neural packs"): ``manifest.yaml`` (``kind: neural``,
validated by ``avatar.pack.NeuralManifest``), the source frames, per-frame face crop boxes, the crops at the model's
face size, the model's cached per-frame input, a feathered blend mask and ``portrait.png`` (frame 0, for the photo
fallback). ``load_pack`` checks every shape and count against the manifest, so a broken pack is refused when a stream
starts, naming the file, never halfway through a show. Frames and crops are memory-mapped: a minute of video is
gigabytes, and the host reads one frame at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ConfigError
from ..pack import MANIFEST, Manifest, NeuralManifest, read_manifest

FRAMES = "frames.npy"
BOXES = "boxes.npy"
CROPS = "crops.npy"
INPUTS = "inputs.npy"
MASK = "mask.npy"
PORTRAIT = "portrait.png"


def input_layout(model: str, face_size: int) -> tuple[tuple[int, ...], np.dtype]:
    """Per-frame shape and dtype of a model's cached input (``LipModel.encode_crops``): Wav2Lip's masked and
    reference crops, MuseTalk's VAE latents of both (8 channels at 1/8 of the face size)."""
    if model == "wav2lip":
        return (6, face_size, face_size), np.dtype(np.uint8)
    return (8, face_size // 8, face_size // 8), np.dtype(np.float16)


@dataclass(frozen=True)
class NeuralPack:
    dir: Path
    manifest: NeuralManifest
    frames: np.ndarray  # (N, h, w, 3) uint8 RGB, memory-mapped read-only
    boxes: np.ndarray  # (N, 4) int32 x0, y0, x1, y1 square crops inside the frame
    crops: np.ndarray  # (N, S, S, 3) uint8 RGB, memory-mapped read-only
    inputs: Path  # the model's cached inputs, (N, ...) per input_layout; the inference service loads them
    mask: np.ndarray  # (S, S) float32 0..1, 0 on the crop border

    @property
    def portrait(self) -> Path:
        return self.dir / self.manifest.portrait

    def photo_manifest(self) -> Manifest:
        """The pack as a ``kind: photo`` pack of its portrait: what the host falls back to without a device."""
        m = self.manifest
        return Manifest(kind="photo", name=m.name, title=m.title, portrait=m.portrait, mouth_box=m.mouth_box)


def pingpong(k: int, n: int) -> int:
    """The pack frame shown at idle-loop step ``k`` of ``n`` frames: 0, 1, ..., n-1, n-2, ..., 1, 0, 1, ...
    (forward then backward, so the loop never jumps from the last frame back to the first)."""
    if n <= 1:
        return 0
    period = 2 * (n - 1)
    r = k % period
    return r if r < n else period - r


def load_pack(pack_dir: Path) -> NeuralPack:
    """Read and validate a neural pack; ConfigError names the file and what is wrong with it."""
    pack_dir = Path(pack_dir)
    m = read_manifest(pack_dir)
    if not isinstance(m, NeuralManifest):
        raise ConfigError(f"avatar pack {pack_dir}: kind {m.kind!r} is not a neural pack")
    w, h = m.size
    n, s = m.frames, m.face_size
    frames = _array(pack_dir, FRAMES, (n, h, w, 3), np.dtype(np.uint8), mmap=True)
    boxes = _array(pack_dir, BOXES, (n, 4), np.dtype(np.int32), mmap=False)
    crops = _array(pack_dir, CROPS, (n, s, s, 3), np.dtype(np.uint8), mmap=True)
    shape, dtype = input_layout(m.model, s)
    _array(pack_dir, INPUTS, (n, *shape), dtype, mmap=True)
    mask = _array(pack_dir, MASK, (s, s), np.dtype(np.float32), mmap=False)
    _check_boxes(pack_dir, boxes, (w, h))
    _check_mask(pack_dir, mask)
    if not (pack_dir / m.portrait).is_file():
        raise ConfigError(f"avatar pack {pack_dir}: portrait file {m.portrait!r} is missing")
    b = m.mouth_box
    if b.x < 0 or b.y < 0 or b.x + b.w > w or b.y + b.h > h:
        raise ConfigError(f"avatar pack {pack_dir}: {MANIFEST}: mouth_box {b.model_dump()} is outside the {w}x{h} "
                          "frame")
    return NeuralPack(pack_dir, m, frames, boxes, crops, pack_dir / INPUTS, mask)


def _array(pack_dir: Path, name: str, shape: tuple[int, ...], dtype: np.dtype, mmap: bool) -> np.ndarray:
    path = pack_dir / name
    where = f"avatar pack {pack_dir}: {name}"
    if not path.is_file():
        raise ConfigError(f"{where} is missing (rebuild the pack with `streamer avatars build`)")
    try:
        a = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise ConfigError(f"{where}: not a readable .npy array ({str(e).splitlines()[0]})") from None
    if a.dtype != dtype or a.shape != shape:
        raise ConfigError(f"{where}: expected {dtype} {shape} (from manifest.yaml), found {a.dtype} {a.shape}")
    return a


def _check_boxes(pack_dir: Path, boxes: np.ndarray, size: tuple[int, int]) -> None:
    w, h = size
    x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
    bad = (x0 < 0) | (y0 < 0) | (x1 > w) | (y1 > h) | (x1 <= x0) | (x1 - x0 != y1 - y0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ConfigError(f"avatar pack {pack_dir}: {BOXES}: frame {i}'s box {boxes[i].tolist()} is not a square "
                          f"inside the {w}x{h} frame")


def _check_mask(pack_dir: Path, mask: np.ndarray) -> None:
    if not np.isfinite(mask).all() or mask.min() < 0 or mask.max() > 1:
        raise ConfigError(f"avatar pack {pack_dir}: {MASK}: values must lie in 0..1")
    edge = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    if edge.max() > 0:
        raise ConfigError(f"avatar pack {pack_dir}: {MASK}: must be 0 on the crop border (it would show a seam)")
