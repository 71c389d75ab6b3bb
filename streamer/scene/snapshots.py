"""Still frames for the README: ``python -m streamer.scene.snapshots [docs/images]``.

Renders the default host (idle, speaking, both gestures, the viseme set), the full scene for the Chinese and English
demo briefs, and the photo host (a portrait painted from the default pack, so no photo of a person is shipped).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import yaml

from ..avatar import HostPose, Idle, load_host
from ..avatar.pack import PACKS_DIR
from ..brief import load_brief
from ..tts.base import SAMPLE_RATE, Mark
from .compositor import SceneRenderer
from .state import FrameState, Speaking

ROOT = Path(__file__).resolve().parents[2]
LINES = {
    "zh": "这款316不锈钢保温杯，12小时保温，今天到手只要99元，点击下方3号链接！",
    "en": "This bottle keeps drinks cold for a whole day, and today it is just $24.99: tap link 2 below!",
}


def _save(path: Path, rgb: np.ndarray) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {path}", file=sys.stderr)


def _speech(text: str, seconds: float = 4.0) -> Speaking:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    env = np.clip(np.sin(2 * np.pi * 3.1 * t), 0, None) ** 0.5
    pcm = (0.25 * np.sin(2 * np.pi * 190 * t) * env).astype(np.float32)
    vowels = ["a", "o", "e", "a", "i", "a"]
    marks = tuple(Mark(k / 6.2, (k + 1) / 6.2, vowels[k % len(vowels)]) for k in range(int(seconds * 6.2)))
    return Speaking(text, 0.0, pcm, marks)


def scene_frames(out: Path) -> None:
    for lang in ("zh", "en"):
        brief = load_brief(ROOT / "assets" / "briefs" / f"demo_{lang}.yaml")
        r = SceneRenderer(brief, (1280, 720), 30)
        sp = Speaking(LINES[lang], 0.0, _speech("").pcm, _speech("").marks, cue="present")
        frame = None
        for k in range(25):  # let the presenting arm rise
            frame = r.render(FrameState(k, k / 30, sp, brief.products[0]))
        assert frame is not None
        _save(out / f"scene_{lang}.png", frame)
        point = Speaking(LINES[lang], 4.2, sp.pcm, sp.marks, cue="point_cart")
        for k in range(126, 150):
            frame = r.render(FrameState(k, k / 30, point, brief.products[-1]))
        _save(out / f"scene_{lang}_point_cart.png", frame)


def host_frames(out: Path) -> None:
    host = load_host("default", 720)
    w, h = host.size

    def shot(mouth: tuple[float, ...], eyes: str = "open", gesture: tuple[str, int] | None = None,
             crop: bool = True) -> np.ndarray:
        frame = np.full((h, w, 3), (246, 226, 214), np.uint8)
        host.draw(frame, 0, 0, HostPose(np.array(mouth, np.float32), eyes, Idle(0, 0, 0, 0), gesture))
        return frame[: int(h * 0.86), int(w * 0.12): int(w * 0.98)] if crop else frame

    row = [shot((0, 1, 0, 0, 0)), shot((0.7, 1, 0, 0, 0)), shot((0.3, 1, 0.85, 0, 0), "half"),
           shot((0.3, 1.12, 0, 0, 0), gesture=("present", 9)), shot((0.15, 1, 0, 0, 0), gesture=("point_cart", 9))]
    _save(out / "host_poses.png", np.concatenate([cv2.resize(f, (f.shape[1] * 2 // 3, f.shape[0] * 2 // 3),
                                                             interpolation=cv2.INTER_AREA) for f in row], axis=1))
    # the viseme set, close up
    names = host._mouth_names  # type: ignore[attr-defined]
    params = host._mouth_params  # type: ignore[attr-defined]
    mx, my, mw, mh = host.mouth_rect
    tiles = []
    for p in params:
        f = shot(tuple(float(v) for v in p), crop=False)
        tile = f[my - mh: my + 2 * mh, mx - mw // 2: mx + mw + mw // 2]
        tiles.append(cv2.resize(tile, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
    sheet = np.concatenate([np.concatenate(tiles[i:i + 8], axis=1) for i in range(0, len(tiles) - len(tiles) % 8, 8)])
    _save(out / "host_visemes.png", sheet)
    print("visemes:", ", ".join(names), file=sys.stderr)


def photo_frames(out: Path) -> None:
    """A portrait painted from the default pack, turned into a photo pack and animated by warping."""
    host = load_host("default", 1000)
    portrait = np.full((1000, 1000, 3), (214, 222, 232), np.uint8)
    host.draw(portrait, 0, 0, HostPose(np.zeros(5, np.float32), "open", Idle(0, 0, 0, 0)))
    portrait = portrait[60:860, 100:740]
    with tempfile.TemporaryDirectory() as tmp:
        pack = Path(tmp)
        cv2.imwrite(str(pack / "portrait.png"), cv2.cvtColor(portrait, cv2.COLOR_RGB2BGR))
        (pack / "manifest.yaml").write_text(yaml.safe_dump({"format": 1, "kind": "photo", "name": "painted",
                                                            "portrait": "portrait.png"}))
        photo = load_host(str(pack), 540)
        tiles = []
        for o in (0.0, 0.35, 0.7):
            f = np.full((photo.size[1], photo.size[0], 3), 255, np.uint8)
            photo.draw(f, 0, 0, HostPose(np.array([o, 1, 0, 0, 0], np.float32), "open", Idle(0, 0, 0, 0)))
            x, y, w, h = photo.mouth_rect
            tiles.append(f[max(0, y - 4 * h): y + 6 * h, max(0, x - w): x + 2 * w])
        _save(out / "photo_host.png", np.concatenate(tiles, axis=1))
        brief = load_brief(ROOT / "assets" / "briefs" / "demo_en.yaml")
        r = SceneRenderer(brief, (1280, 720), 30, avatar=str(pack))
        sp = _speech(LINES["en"])
        frame = None
        for k in range(4):  # 0.1 s in: a loud syllable, mouth open
            frame = r.render(FrameState(k, k / 30, sp, brief.products[0]))
        assert frame is not None
        _save(out / "scene_photo_host.png", frame)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", nargs="?", default=str(ROOT / "docs" / "images"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    assert (PACKS_DIR / "default").is_dir()
    host_frames(out)
    scene_frames(out)
    photo_frames(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
