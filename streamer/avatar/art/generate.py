"""Generate a bundled host pack: ``python -m streamer.avatar.art.generate [DIR] [--host default|leo]``.

``default`` (Xiaoya, the default) is written to assets/avatars/default, ``leo`` to assets/avatars/leo. Everything is
painted by this project's code (face.py, body.py, from the looks in looks.py): no downloaded art. Mouth and eye sprites are cut
out of whole-head renders with a feathered edge, so they sit seamlessly on the base head.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from . import body as B
from . import face as F
from .draw import Layer
from .looks import HOSTS, Host

CANVAS = (1000, 1000)
MOUTH_BOX = (346, 366, 108, 92)  # x, y, w, h on the canvas: covers the widest and most open mouth
EYES_BOX = (310, 280, 180, 52)
ARM_BOX = (400.0, 380.0, 600.0, 620.0)
GESTURE_FRAMES = 10

# name -> (shape to paint, parameters the lip-sync matches against)
VISEMES: dict[str, F.MouthShape] = {
    "rest": F.MouthShape(),
    "mbp": F.MouthShape(press=1.0, smile=0.3),
    "fv": F.MouthShape(fv=1.0, teeth_top=1.0, smile=0.3),
    "open_1": F.MouthShape(open=0.15, teeth_top=0.6),
    "open_2": F.MouthShape(open=0.32, teeth_top=1.0, smile=0.5),
    "open_3": F.MouthShape(open=0.52, teeth_top=1.0, tongue=0.5, smile=0.4),
    "open_4": F.MouthShape(open=0.72, teeth_top=1.0, tongue=0.8, smile=0.3),
    "open_5": F.MouthShape(open=0.92, teeth_top=1.0, tongue=1.0, smile=0.2),
    "wide_1": F.MouthShape(open=0.12, width=1.14, teeth_top=1.0, teeth_bottom=1.0, smile=0.8),
    "wide_2": F.MouthShape(open=0.3, width=1.12, teeth_top=1.0, teeth_bottom=1.0, smile=0.8),
    "wide_3": F.MouthShape(open=0.48, width=1.1, teeth_top=1.0, tongue=0.5, smile=0.6),
    "round_1": F.MouthShape(open=0.12, round=1.0, smile=0.0),
    "round_2": F.MouthShape(open=0.3, round=0.85, smile=0.0),
    "round_3": F.MouthShape(open=0.55, round=0.6, teeth_top=0.5, smile=0.1),
    "round_4": F.MouthShape(open=0.75, round=0.45, tongue=0.6, smile=0.1),
    "ch": F.MouthShape(open=0.2, width=0.92, round=0.4, teeth_top=1.0, teeth_bottom=1.0, smile=0.2),
}
EYES = {"half": 0.45, "closed": 0.0}


def _ease(u: float) -> float:
    return u * u * (3 - 2 * u)


def _feather(w: int, h: int, margin: float) -> np.ndarray:
    """1 in the middle of a w x h patch, falling smoothly to 0 at its border: no visible sprite edges."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.minimum.reduce([xx + 0.5, w - xx - 0.5, yy + 0.5, h - yy - 0.5]) / margin
    t = np.clip(d, 0, 1)
    return t * t * (3 - 2 * t)


def _save(img: np.ndarray, path: Path) -> None:
    Image.fromarray(img, "RGBA").save(path, optimize=True)


def _crop(img: np.ndarray, x0: float, y0: float) -> tuple[np.ndarray, list[int]]:
    ys, xs = np.nonzero(img[..., 3])
    if ys.size == 0:
        return img[:1, :1], [int(x0), int(y0)]
    return img[ys.min():ys.max() + 1, xs.min():xs.max() + 1], [int(x0) + int(xs.min()), int(y0) + int(ys.min())]


def _head(mouth: F.MouthShape, eyes: float, host: Host) -> np.ndarray:
    L = Layer(F.HEAD_BOX, ss=3)
    F.draw_face(L, mouth, eyes, host.head)
    return L.rgba()


def _patch(head: np.ndarray, box: tuple[int, int, int, int], margin: float) -> np.ndarray:
    x, y, w, h = box
    hx, hy = int(F.HEAD_BOX[0]), int(F.HEAD_BOX[1])
    patch = head[y - hy:y - hy + h, x - hx:x - hx + w].copy()
    patch[..., 3] = np.round(patch[..., 3] * _feather(w, h, margin)).astype(np.uint8)
    return patch


def generate(out: Path, host: Host = HOSTS["default"], log: bool = True) -> None:
    """Paint ``host`` and write its pack (images and manifest.yaml) into ``out``; the same host gives the same
    files every time."""
    out.mkdir(parents=True, exist_ok=True)

    def say(msg: str) -> None:
        if log:
            print(msg, file=sys.stderr)

    say("back hair, body")
    back = Layer(F.HEAD_BOX, ss=3)
    F.draw_back_hair(back, host.head)
    _save(back.rgba(), out / "back_hair.png")
    body = Layer(B.BODY_BOX, ss=3)
    B.draw_body(body, host.body)
    body_img, body_at = _crop(body.rgba(), B.BODY_BOX[0], B.BODY_BOX[1])
    _save(body_img, out / "body.png")
    say("head")
    rest_head = _head(VISEMES["rest"], 1.0, host)
    _save(rest_head, out / "head.png")
    visemes = {}
    for name, shape in VISEMES.items():
        say(f"mouth {name}")
        _save(_patch(_head(shape, 1.0, host), MOUTH_BOX, 14), out / f"mouth_{name}.png")
        visemes[name] = {"file": f"mouth_{name}.png", "open": shape.open if not shape.fv else 0.1,
                         "width": shape.width, "round": shape.round, "press": shape.press, "fv": shape.fv}
    eyes = {}
    for name, openness in EYES.items():
        say(f"eyes {name}")
        _save(_patch(_head(VISEMES["rest"], openness, host), EYES_BOX, 6), out / f"eyes_{name}.png")
        eyes[name] = f"eyes_{name}.png"
    gestures = {}
    arm_rest = None
    for name, target in (("present", B.PRESENT_POSE), ("point_cart", B.POINT_POSE)):
        frames = []
        for i in range(GESTURE_FRAMES):
            u = _ease(i / (GESTURE_FRAMES - 1))
            r = B.REST_POSE
            pose = B.ArmPose(r.shoulder + (target.shoulder - r.shoulder) * u, r.elbow + (target.elbow - r.elbow) * u,
                             target.hand if u > 0.45 else r.hand, target.wrist * u)
            say(f"gesture {name} {i}")
            arm = Layer(ARM_BOX, ss=3)
            B.draw_arm(arm, pose, host.body)
            img, at = _crop(arm.rgba(), ARM_BOX[0], ARM_BOX[1])
            file = f"{name}_{i:02d}.png"
            _save(img, out / file)
            frames.append({"file": file, "at": at})
            if i == 0 and arm_rest is None:
                arm_rest = {"file": file, "at": list(at)}
        gestures[name] = {"frames": frames, "rise_s": 0.45, "fall_s": 0.45, "hold_max_s": 3.0}
    hx, hy = int(F.HEAD_BOX[0]), int(F.HEAD_BOX[1])
    assert arm_rest is not None
    manifest = {
        "format": 1,
        "kind": "sprite",
        "name": host.name,
        "title": host.title,
        "presents": host.presents,
        "languages": list(host.languages),
        "canvas": list(CANVAS),
        "anchor": [400, 1000],
        "layers": [
            {"name": "back_hair", "file": "back_hair.png", "at": [hx, hy], "follows": "head"},
            {"name": "arm", "file": arm_rest["file"], "at": arm_rest["at"], "follows": "body", "gesture_slot": True},
            {"name": "body", "file": "body.png", "at": body_at, "follows": "body"},
            {"name": "head", "file": "head.png", "at": [hx, hy], "follows": "head"},
        ],
        "head": {"layer": "head", "pivot": [400, 470]},
        "mouth": {"at": list(MOUTH_BOX[:2]), "visemes": visemes},
        "eyes": {"at": list(EYES_BOX[:2]), "frames": eyes},
        "gestures": gestures,
        "motion": {"breath_px": 3.0, "breath_period_s": 4.2, "sway_deg": 1.3, "sway_px": 3.0,
                   "blink_interval_s": [1.8, 6.0]},
    }
    (out / "manifest.yaml").write_text(
        "# Generated by `python -m streamer.avatar.art.generate`; format documented in assets/avatars/README.md\n"
        + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    say(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", nargs="?", help="the pack directory (default: assets/avatars/HOST)")
    ap.add_argument("--host", default="default", choices=sorted(HOSTS), help="which host to draw (default: Xiaoya)")
    args = ap.parse_args(argv)
    generate(Path(args.out or f"assets/avatars/{args.host}"), HOSTS[args.host])
    return 0


if __name__ == "__main__":
    sys.exit(main())

