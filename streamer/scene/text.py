"""Text on screen: find a font with Chinese glyphs at run time, wrap lines (by word for English, by character for
Chinese) and render text to RGBA once, so frames only blend finished pixels.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import ConfigError

FONT_ENV = "STREAMER_FONT"
_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-{weight}.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-{weight}.otf",
    "/usr/share/fonts/truetype/noto/NotoSansSC-{weight}.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
_NO_PUNCT_AT_LINE_START = set("，。、！？；：）》」』”’,.!?;:)")
FontT = ImageFont.FreeTypeFont


def _has_cjk(path: str, index: int = 0) -> bool:
    try:
        f = ImageFont.truetype(path, 24, index=index)
    except OSError:
        return False
    return f.getbbox("中")[2] > 0 and f.getmask("中").getbbox() is not None


def _fc_match() -> list[str]:
    if shutil.which("fc-match") is None:
        return []
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}", "sans-serif:lang=zh-cn"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return []
    return [out] if out else []


@functools.lru_cache(maxsize=8)
def find_font(configured: str | None = None, weight: str = "Regular") -> tuple[str, int]:
    """(path, face index) of a font that has Chinese glyphs; ConfigError says how to install one."""
    tried: list[str] = []
    explicit = configured or os.environ.get(FONT_ENV)
    if explicit:
        if not Path(explicit).is_file():
            raise ConfigError(f"font {explicit!r} (from the scene file or ${FONT_ENV}) does not exist")
        if not _has_cjk(explicit, _sc_index(explicit)):
            raise ConfigError(f"font {explicit!r} has no Chinese glyphs; captions and product names need them")
        return explicit, _sc_index(explicit)
    paths = [c.format(weight=weight) for c in _CANDIDATES]
    paths += sorted(glob.glob(f"/usr/share/fonts/**/NotoSansCJK*{weight}*", recursive=True))
    paths += _fc_match()
    for p in paths:
        tried.append(p)
        if Path(p).is_file() and _has_cjk(p, _sc_index(p)):
            return p, _sc_index(p)
    if weight != "Regular":
        return find_font(configured, "Regular")
    raise ConfigError("no font with Chinese glyphs found; install one (Debian/Ubuntu: apt-get install "
                      f"fonts-noto-cjk) or point ${FONT_ENV} or the scene file's 'font' at a .ttf/.otf/.ttc file")


def _sc_index(path: str) -> int:
    """In a font collection pick the Simplified Chinese face (Noto CJK puts Japanese first)."""
    if not path.lower().endswith(".ttc"):
        return 0
    for i in range(10):
        try:
            name = " ".join(n or "" for n in ImageFont.truetype(path, 12, index=i).getname())
        except OSError:
            break
        if " SC" in name or "SC " in name or name.endswith("SC"):
            return i
    return 0


@functools.lru_cache(maxsize=64)
def font(px: int, bold: bool = False, configured: str | None = None) -> FontT:
    path, index = find_font(configured, "Bold" if bold else "Regular")
    return ImageFont.truetype(path, max(int(px), 6), index=index)


def wrap(text: str, f: FontT, max_w: float) -> list[str]:
    """Break ``text`` into lines no wider than ``max_w``: between words where there are spaces, anywhere between
    Chinese characters (never putting a closing punctuation mark first on a line)."""
    lines: list[str] = []
    for para in text.split("\n"):
        tokens = _tokens(para)
        line = ""
        for tok in tokens:
            cand = line + tok
            if line and f.getlength(cand.rstrip()) > max_w and not (tok.strip() and tok[0] in _NO_PUNCT_AT_LINE_START):
                lines.append(line.rstrip())
                line = tok.lstrip()
            else:
                line = cand
        if line.strip():
            lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    word = ""
    for ch in text:
        if ord(ch) > 0x2E7F:  # CJK and full-width: each character can start a line
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        elif ch == " ":
            out.append(word + " ")
            word = ""
        else:
            word += ch
    if word:
        out.append(word)
    return out


def fit(text: str, px: int, max_w: float, max_lines: int, bold: bool = False, configured: str | None = None,
        min_px: int = 10) -> tuple[FontT, list[str]]:
    """The largest font size up to ``px`` at which ``text`` fits in ``max_lines`` lines (ellipsis if never)."""
    size = px
    while True:
        f = font(size, bold, configured)
        lines = wrap(text, f, max_w)
        if len(lines) <= max_lines or size <= min_px:
            break
        size = max(min_px, int(size * 0.9))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and f.getlength(last + "…") > max_w:
            last = last[:-1]
        lines[-1] = last + "…"
    return f, lines


def draw_text(img: Image.Image, xy: tuple[float, float], text: str, f: FontT, fill: tuple[int, ...],
              shadow: bool = False) -> None:
    d = ImageDraw.Draw(img)
    if shadow:
        d.text((xy[0], xy[1] + max(1, f.size // 18)), text, font=f, fill=(0, 0, 0, 150))
    d.text(xy, text, font=f, fill=fill)


def to_rgba(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGBA"), np.uint8).copy()
