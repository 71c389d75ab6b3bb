"""Avatar packs: find a pack by name or path, validate its manifest and images, and load them.

A pack is a directory with ``manifest.yaml`` (format in assets/avatars/README.md). ``kind: sprite`` packs are layered
2D hosts (the bundled default); ``kind: photo`` packs are one portrait whose mouth is animated by warping;
``kind: neural`` packs are a reference video for a lip-sync network (written by `streamer avatars build`; their
arrays are read by avatar/neural/pack.py).
Every problem a user can cause (missing file, unreadable image, wrong size, bad field) raises ConfigError naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError

PACKS_DIR = Path(__file__).resolve().parents[2] / "assets" / "avatars"
DEFAULT_PACK = "default"
MANIFEST = "manifest.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LayerSpec(_Model):
    name: str
    file: str
    at: tuple[int, int] = (0, 0)
    follows: Literal["body", "head"] = "body"
    gesture_slot: bool = False  # gesture clips replace this layer while they play


class HeadSpec(_Model):
    layer: str = "head"
    pivot: tuple[float, float]  # the neck joint the head sways around, canvas units


class VisemeSpec(_Model):
    file: str
    open: float = Field(ge=0, le=1)
    width: float = 1.0
    round: float = Field(default=0.0, ge=0, le=1)
    press: float = Field(default=0.0, ge=0, le=1)
    fv: float = Field(default=0.0, ge=0, le=1)


class MouthSpec(_Model):
    at: tuple[int, int]
    visemes: dict[str, VisemeSpec] = Field(min_length=2)


class EyesSpec(_Model):
    at: tuple[int, int]
    frames: dict[Literal["half", "closed"], str]


class FrameSpec(_Model):
    file: str
    at: tuple[int, int]


class GestureSpec(_Model):
    frames: list[FrameSpec] = Field(min_length=2)  # frames[0] is the resting pose, the last the full gesture
    rise_s: float = Field(default=0.45, gt=0)
    fall_s: float = Field(default=0.45, gt=0)
    hold_max_s: float = Field(default=3.0, ge=0)


class MotionSpec(_Model):
    breath_px: float = 3.0  # canvas units the shoulders rise
    breath_period_s: float = Field(default=4.2, gt=0)
    sway_deg: float = 1.3
    sway_px: float = 3.0
    blink_interval_s: tuple[float, float] = (1.8, 6.0)


class MouthBox(_Model):
    x: int
    y: int
    w: int = Field(gt=0)
    h: int = Field(gt=0)


class Manifest(_Model):
    format: Literal[1] = 1
    kind: Literal["sprite", "photo", "neural"]
    name: str
    title: str = ""
    # who the host is, for the voice and language check (avatar/match.py): None says nothing, so nothing is checked
    presents: Literal["female", "male"] | None = None
    languages: list[Literal["zh", "en"]] = Field(default_factory=list)  # the languages the host is for; []: any
    canvas: tuple[int, int] | None = None  # sprite packs: design size; one unit is one pixel of a 1080p frame
    anchor: tuple[float, float] | None = None  # sprite: canvas point placed on the scene's host anchor
    layers: list[LayerSpec] = Field(default_factory=list)
    head: HeadSpec | None = None
    mouth: MouthSpec | None = None
    eyes: EyesSpec | None = None
    gestures: dict[str, GestureSpec] = Field(default_factory=dict)
    motion: MotionSpec = Field(default_factory=MotionSpec)
    # photo packs
    portrait: str | None = None
    mouth_box: MouthBox | None = None  # where the lips are; found with OpenCV's face detector when absent


class NeuralManifest(Manifest):
    """``kind: neural``: what `streamer avatars build` found in the reference video (arrays: avatar/neural/pack.py)."""

    kind: Literal["neural"] = "neural"
    model: Literal["wav2lip", "musetalk"]
    fps: float = Field(gt=0)  # of the source video: the idle loop plays its frames at this rate
    size: tuple[int, int]  # frame (w, h)
    frames: int = Field(ge=1)
    face_size: int = Field(gt=0)  # side of the square crop the model repaints
    portrait: str = "portrait.png"  # frame 0, for the photo host the neural host falls back to
    mouth_box: MouthBox  # the lips in frame 0


def resolve(avatar: str | None) -> Path:
    """The pack directory for a NAME under assets/avatars/ or a PATH (to the directory or its manifest)."""
    if avatar is None or avatar == "":
        avatar = DEFAULT_PACK
    p = Path(avatar).expanduser()
    if p.name == MANIFEST:
        p = p.parent
    if p.is_dir():
        return p.resolve()
    named = PACKS_DIR / avatar
    if "/" not in avatar and (named / MANIFEST).is_file():
        return named
    known = ", ".join(available()) or "none"
    raise ConfigError(f"avatar {avatar!r}: no such pack (not a directory, nor a name under {PACKS_DIR}; "
                      f"known packs: {known})")


def available() -> list[str]:
    """Names of the packs under assets/avatars/."""
    if not PACKS_DIR.is_dir():
        return []
    return sorted(d.name for d in PACKS_DIR.iterdir() if (d / MANIFEST).is_file())


def read_manifest(pack_dir: Path) -> Manifest:
    path = pack_dir / MANIFEST
    if not path.is_file():
        raise ConfigError(f"avatar pack {pack_dir}: {MANIFEST} is missing")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"avatar pack {pack_dir}: cannot read {MANIFEST}: {str(e).splitlines()[0]}") from None
    schema = NeuralManifest if isinstance(data, dict) and data.get("kind") == "neural" else Manifest
    try:
        m = schema.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(x) for x in err['loc']) or '(manifest)'}: {err['msg']}"
                             for err in e.errors())
        raise ConfigError(f"avatar pack {pack_dir}: {MANIFEST}: {problems}") from None
    _check_kind(pack_dir, m)
    return m


def _check_kind(pack_dir: Path, m: Manifest) -> None:
    where = f"avatar pack {pack_dir}: {MANIFEST}"
    if m.kind == "sprite":
        missing = [k for k in ("canvas", "anchor", "head", "mouth", "eyes") if getattr(m, k) is None]
        if missing or not m.layers:
            raise ConfigError(f"{where}: a sprite pack needs {', '.join(missing or ['layers'])}")
        names = [layer.name for layer in m.layers]
        assert m.head is not None
        if m.head.layer not in names:
            raise ConfigError(f"{where}: head.layer {m.head.layer!r} is not one of the layers {names}")
        assert m.mouth is not None
        if "rest" not in m.mouth.visemes:
            raise ConfigError(f"{where}: mouth.visemes needs a 'rest' shape (the closed, neutral mouth)")
        if m.gestures and not any(layer.gesture_slot for layer in m.layers):
            raise ConfigError(f"{where}: gestures are listed but no layer has gesture_slot: true")
    elif m.kind == "neural":
        extra = [k for k in ("canvas", "anchor", "head", "mouth", "eyes", "layers", "gestures") if getattr(m, k)]
        if extra:
            raise ConfigError(f"{where}: a neural pack has no sprite fields ({', '.join(extra)})")
    elif m.portrait is None:
        raise ConfigError(f"{where}: a photo pack needs 'portrait' (the image file)")


def load_image(pack_dir: Path, file: str, what: str) -> np.ndarray:
    """An RGBA uint8 image from the pack; ConfigError names the file when it is missing or unreadable."""
    path = pack_dir / file
    if not path.is_file():
        raise ConfigError(f"avatar pack {pack_dir}: {what} file {file!r} is missing")
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.ndim not in (2, 3):
        raise ConfigError(f"avatar pack {pack_dir}: {what} file {file!r} is not a readable image")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA)
    elif img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
    if img.dtype != np.uint8:
        img = (img / 257).astype(np.uint8) if img.dtype == np.uint16 else img.astype(np.uint8)
    return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)


def same_size(pack_dir: Path, images: dict[str, np.ndarray], what: str) -> None:
    """Sprites that replace each other (visemes, blink frames) must share one size."""
    sizes = {name: img.shape[:2] for name, img in images.items()}
    first = next(iter(sizes.values()))
    wrong = [f"{name} is {s[1]}x{s[0]}" for name, s in sizes.items() if s != first]
    if wrong:
        raise ConfigError(f"avatar pack {pack_dir}: {what} sprites must all be {first[1]}x{first[0]}: "
                          + ", ".join(wrong))
