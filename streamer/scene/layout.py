"""Scene files: where the host, product card, captions and AI label go, and the colours (assets/scenes/*.yaml).

Coordinates are fractions of the frame, so one file serves 720p and 1080p; a file has a landscape and a portrait
layout and the frame's shape picks one.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError

SCENES_DIR = Path(__file__).resolve().parents[2] / "assets" / "scenes"
DEFAULT_SCENE = "default"

RGBA = tuple[int, int, int, int]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Box(_Model):
    x: float
    y: float
    w: float = Field(gt=0)
    h: float = Field(gt=0)


class HostPlace(_Model):
    x: float
    bottom: float
    height: float = Field(gt=0)


class TextPlace(_Model):
    x: float
    y: float
    size: float = Field(gt=0)


class CaptionPlace(Box):
    size: float = Field(gt=0)
    lines: int = Field(default=2, ge=1)


class Desk(_Model):
    top: float


class Layout(_Model):
    host: HostPlace
    photo_host: HostPlace | None = None  # where a portrait (photo pack) goes; default: where the host goes
    desk: Desk | None = None
    card: Box
    captions: CaptionPlace
    label: TextPlace
    title: TextPlace | None = None


class Scene(_Model):
    name: str
    font: str | None = None
    colors: dict[str, RGBA] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=lambda: {"zh": "AI数字人", "en": "AI-generated"})
    layouts: dict[str, Layout]

    @field_validator("colors", mode="before")
    @classmethod
    def _parse_colors(cls, v: object) -> object:
        if not isinstance(v, dict):
            return v
        return {k: parse_color(c) if isinstance(c, str) else c for k, c in v.items()}

    @field_validator("layouts")
    @classmethod
    def _has_landscape(cls, v: dict[str, Layout]) -> dict[str, Layout]:
        if "landscape" not in v:
            raise ValueError("needs a 'landscape' layout")
        return v

    def layout(self, width: int, height: int) -> Layout:
        if height > width and "portrait" in self.layouts:
            return self.layouts["portrait"]
        return self.layouts["landscape"]

    def color(self, name: str, default: str) -> RGBA:
        return self.colors.get(name) or parse_color(default)


def parse_color(text: str) -> RGBA:
    """'#RRGGBB' or '#RRGGBBAA' -> (r, g, b, a)."""
    s = text.strip().lstrip("#")
    if len(s) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in s):
        raise ValueError(f"colour {text!r} is not #RRGGBB or #RRGGBBAA")
    vals = [int(s[i:i + 2], 16) for i in range(0, len(s), 2)]
    return (vals[0], vals[1], vals[2], vals[3] if len(vals) == 4 else 255)


def load_scene(scene: str | Path | None = None) -> Scene:
    """A scene by NAME (assets/scenes/NAME.yaml) or PATH; ConfigError says what is wrong with it."""
    name = scene or DEFAULT_SCENE
    p = Path(name)
    if not p.is_file():
        p = SCENES_DIR / f"{name}.yaml"
    if not p.is_file():
        raise ConfigError(f"scene {name!r}: no such file (looked for it as a path and in {SCENES_DIR})")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        return Scene.model_validate(data)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"scene {p}: cannot read it: {str(e).splitlines()[0]}") from None
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"scene {p}: {problems}") from None
