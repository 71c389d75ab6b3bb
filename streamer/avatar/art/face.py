"""A host's head: back hair, ears, face, eyes, brows, nose, mouth and front hair, in design units, drawn from a
``HeadLook`` (looks.py: Xiaoya's long hair and oval face, Leo's short hair and square jaw).

The head is drawn whole for every mouth shape and eye openness; the generator cuts the mouth and eye regions out of
those renders, so a sprite always matches the base face around it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .draw import Layer, Point, mirror
from .looks import HeadLook

CX = 400.0  # the face's vertical axis
HEAD_BOX = (220.0, 90.0, 360.0, 430.0)  # x, y, w, h of the head layers in design units
MOUTH_C = (400.0, 404.0)
EYE_Y = 309.0
EYE_DX = 48.0

INNER = (96, 30, 40)
TEETH = (250, 247, 242)
TONGUE = (214, 108, 116)
IRIS = (92, 56, 38)
LASH = (38, 26, 26)
SCLERA = (252, 250, 248)


@dataclass(frozen=True)
class MouthShape:
    """Mouth pose: ``open`` 0..1 (jaw), ``width`` ~0.8..1.2 (spread), ``round`` 0..1 (pucker), ``press`` 0..1
    (lips pressed together, M/B/P), ``fv`` 0..1 (lower lip under the upper teeth), teeth and tongue visibility."""

    open: float = 0.0
    width: float = 1.0
    round: float = 0.0
    press: float = 0.0
    fv: float = 0.0
    teeth_top: float = 0.0
    teeth_bottom: float = 0.0
    tongue: float = 0.0
    smile: float = 0.6


def _whole(right_half: tuple[Point, ...]) -> list[Point]:
    """A symmetric closed outline from its right half (top point on the axis ... bottom point on the axis)."""
    right = list(right_half)
    return right + mirror(right[1:-1], CX)[::-1]


def face_outline(look: HeadLook) -> list[Point]:
    return _whole(look.face)


def draw_back_hair(L: Layer, look: HeadLook) -> None:
    """The hair behind the head (none for short hair: the layer stays empty)."""
    if look.back_hair is None:
        return
    L.gradient(L.mask(_whole(look.back_hair)), *look.back_hair_colors, (400, 110), (400, 500))


def draw_face(L: Layer, mouth: MouthShape, eyes: float, look: HeadLook) -> None:
    """Paint the face with the given mouth shape and eye openness (1 open, 0 closed) onto the head layer."""
    if look.ears:
        _ears(L, look)
    face = L.mask(face_outline(look))
    L.gradient(face, look.skin, look.skin_low, (400, 200), (400, 460))
    # soft form shading: darker toward the jaw edges, light from the upper left
    inner = L.blur(L.shift(face, 10, -6), 14)
    L.tint(1 - inner, look.skin_shadow, 0.55, face)
    for side in (-1, 1):
        L.tint(L.radial(CX + side * 58, 378, 34), look.blush, look.blush_opacity, face)
    if look.stubble > 0:
        _stubble(L, look, face)
    _nose(L, face, look)
    for side in (-1, 1):
        _brow(L, side, look)
        _eye(L, side, eyes, look)
    _mouth(L, mouth, face, look)
    # the fringe casts a soft shadow on the forehead
    hair = L.mask(list(look.front_hair))
    L.tint(L.blur(L.shift(hair, 3, 7), 5), look.fringe_shadow, 0.55, face * (1 - hair))
    _front_hair(L, hair, look)


def _ears(L: Layer, look: HeadLook) -> None:
    """Ears beside the temples, behind the face outline (which covers their inner edge)."""
    for side in (-1, 1):
        x = CX + side * 124
        ear = L.mask([(x - side * 10, 292), (x + side * 8, 284), (x + side * 16, 304), (x + side * 12, 338),
                      (x + side * 2, 362), (x - side * 12, 360)])
        L.paint(ear, look.skin)
        L.tint(L.blur(L.ellipse(x + side * 3, 320, 6, 18), 3), look.skin_shadow, 0.8, ear)
        L.tint(L.blur(L.stroke([(x + side * 10, 296), (x + side * 13, 318), (x + side * 6, 346)], 2, 2, 3), 1.5),
               look.skin_shadow, 0.6, ear)


def _stubble(L: Layer, look: HeadLook, face: np.ndarray) -> None:
    """A shaved beard's faint grey-blue shadow: jaw, chin and upper lip, never the cheeks."""
    jaw = L.blur(L.mask([(300, 380), (336, 424), (372, 446), (400, 452), (428, 446), (464, 424), (500, 380),
                         (512, 400), (486, 444), (446, 466), (400, 474), (354, 466), (314, 444), (288, 400)]), 7)
    lip = L.blur(L.ellipse(CX, 388, 34, 7), 4)
    L.tint(np.maximum(jaw, lip), (112, 102, 104), look.stubble, face)


def _front_hair(L: Layer, hair: np.ndarray, look: HeadLook) -> None:
    L.gradient(hair, look.hair_top, look.hair_bottom, (400, 120), (400, 480))
    # a sheen band across the crown
    sheen = L.stroke(list(look.sheen), 8, 10, 22)
    L.tint(L.blur(sheen, 6), look.hair_light, 0.55, hair)
    # strand lines that follow the sweep of the hair
    for pts, w in look.dark_strands:
        L.tint(L.stroke(list(pts), 0.5, 0.5, w), (26, 18, 18), 0.45, hair)
    # a few lighter strands catch the light along the sweep
    for pts, w in look.light_strands:
        L.tint(L.blur(L.stroke(list(pts), 0.5, 0.5, w), 1.2), look.hair_light, 0.35, hair)
    if look.parting is not None:  # a side parting: a fine dark line the hair falls away from
        L.tint(L.blur(L.stroke(list(look.parting), 0.5, 0.5, 2.4), 0.8), (20, 14, 14), 0.7, hair)


def _nose(L: Layer, face: np.ndarray, look: HeadLook) -> None:
    k = look.nose_width
    bridge = L.stroke([(392, 318), (389, 345), (388, 366)], 1.0, 4.5 * k, 3.5 * k)
    L.tint(L.blur(bridge, 3), look.skin_shadow, 0.45, face)
    base = L.stroke([(400 - 12 * k, 372), (400 - 4 * k, 377), (400 + 4 * k, 377), (400 + 12 * k, 372)],
                    2.0, 2.0, 3.2)
    L.tint(L.blur(base, 1.2), (196, 128, 110), 0.7, face)
    L.tint(L.radial(402, 360, 9), (255, 236, 222), 0.5, face)


def _brow(L: Layer, side: int, look: HeadLook) -> None:
    pts = [(CX + side * dx, y) for dx, y in look.brow]
    L.paint(L.stroke(pts, *look.brow_width), look.brow_color, 0.9)


def _eye(L: Layer, side: int, e: float, look: HeadLook) -> None:
    cx, cy = CX + side * EYE_DX, EYE_Y

    def at(u: float, dy: float) -> Point:  # u from -1 (inner corner) to 1 (outer corner)
        return (cx + side * u * 29, cy + dy)

    closed_dy = [1.0, 4.0, 5.0, 3.5]
    open_dy = [-9.0, -18.0, -16.5, -10.0]
    dys = [c + (o - c) * e for c, o in zip(closed_dy, open_dy, strict=True)]
    inner, outer = at(-1, 1.5), at(1, -3)
    upper = [inner, at(-0.55, dys[0]), at(0.0, dys[1]), at(0.45, dys[2]), at(0.8, dys[3]), outer]
    lower = [outer, at(0.6, 7), at(0.05, 10.5), at(-0.6, 7.5)]
    if e > 0.05:
        eye = L.mask(upper + lower)
        L.paint(eye, SCLERA)
        iris = L.ellipse(cx - side * 1.5, cy - 3, 13.5, 14) * eye
        L.paint(iris, IRIS)
        L.tint(L.radial(cx - side * 1.5, cy + 3, 11), (150, 102, 66), 0.6, iris)
        L.paint(L.ellipse(cx - side * 1.5, cy - 3, 6.2, 6.4) * eye, (22, 14, 14))
        L.paint(L.ellipse(cx - side * 1.5 + 4.5, cy - 8, 3.4, 3.4) * eye, (255, 255, 255), 0.95)
        L.paint(L.ellipse(cx - side * 1.5 - 4.0, cy + 2.5, 1.6, 1.6) * eye, (255, 255, 255), 0.7)
        # the upper lid shades the top of the eyeball
        L.paint(L.blur(L.shift(L.mask(upper + [at(0, dys[1] - 30)]), 0, 2), 2.5) * eye, (120, 80, 70), 0.35)
        L.paint(L.stroke(lower[1:], 1.4, 0.6, 1.6), (150, 100, 90), 0.45)
        crease = [at(-0.5, dys[0] - 6), at(0.05, dys[1] - 6.5), at(0.7, dys[3] - 5.5)]
        L.paint(L.stroke(crease, 0.6, 0.8, 1.8), (170, 110, 96), 0.45 * e)
    lash = upper[1:] + ([(outer[0] + side * 7, outer[1] - 5)] if look.lash_flick else [])
    width = look.lash_width * (2 + e) / 3
    L.paint(L.stroke(lash, 1.8, 1.2, width + 1.2), LASH)


def _mouth(L: Layer, m: MouthShape, face: np.ndarray, look: HeadLook) -> None:
    cx, cy = MOUTH_C
    W = 31.5 * m.width * (1 - 0.34 * m.round) * (1 - 0.06 * m.press)
    H = 34.0 * m.open
    if m.fv > 0:
        H = max(H, 6.0 * m.fv)
    corner_y = cy - 1.5 - 3.0 * m.smile * (1 - m.round) + 0.12 * H
    up_in, lo_in = cy - 0.32 * H, cy + 0.68 * H
    if m.fv > 0:
        lo_in = cy + 0.3 * H  # lower lip rolls up under the upper teeth
    t_up = 7.0 * (1 + 0.35 * m.round) * (1 - 0.35 * m.press)
    t_lo = 9.5 * (1 + 0.3 * m.round) * (1 - 0.4 * m.press) * (1 - 0.25 * m.fv)
    p = 2.0 - 0.6 * m.round  # rounder opening when puckered

    def curve(y_mid: float, n: int = 9) -> list[Point]:
        xs = np.linspace(-1, 1, n)
        return [(cx + x * W, corner_y + (y_mid - corner_y) * (1 - abs(x) ** p)) for x in xs]

    top = [(cx - W, corner_y), (cx - 0.62 * W, up_in - t_up * 0.85), (cx - 0.22 * W, up_in - t_up * 1.18),
           (cx, up_in - t_up * 0.92), (cx + 0.22 * W, up_in - t_up * 1.18), (cx + 0.62 * W, up_in - t_up * 0.85),
           (cx + W, corner_y)]
    bottom = curve(lo_in + t_lo)[::-1][1:-1]
    # a soft shadow under the lower lip gives the chin its shape
    L.tint(L.blur(L.ellipse(cx, lo_in + t_lo + 5, W * 0.55, 4.5), 3), look.skin_shadow, 0.5, face)
    lips = L.mask(top + bottom)
    L.paint(lips, look.lips)
    upper_lip = L.mask(top[::-1] + curve(up_in)[1:-1])
    L.tint(upper_lip, look.lips_dark, 0.55)
    L.tint(L.blur(L.ellipse(cx + 3, lo_in + t_lo * 0.45, W * 0.35, t_lo * 0.22), 2), (250, 170, 170),
           look.lip_shine, lips)
    if H > 1.0:
        inner = L.mask(curve(up_in) + curve(lo_in)[::-1][1:-1], smooth=False)
        L.paint(inner, INNER)
        if m.tongue > 0:
            L.paint(L.ellipse(cx, lo_in - 1, W * 0.62, max(H * 0.33, 3)) * inner, TONGUE, m.tongue)
        if m.teeth_top > 0:
            teeth = L.mask(curve(up_in) + [(cx + W, up_in + 7 * m.teeth_top), (cx - W, up_in + 7 * m.teeth_top)])
            L.paint(teeth * inner, TEETH)
        if m.teeth_bottom > 0:
            teeth = L.mask(curve(lo_in) + [(cx + W, lo_in - 5 * m.teeth_bottom), (cx - W, lo_in - 5 * m.teeth_bottom)])
            L.paint(teeth * inner, (238, 234, 228))
        if m.fv > 0:  # the lower lip covers the bottom of the opening, in front of the teeth
            cover = L.mask(curve(lo_in - 0.5) + curve(lo_in + t_lo)[::-1][1:-1])
            L.paint(cover, look.lips)
        L.paint(L.blur(inner, 0.8) * (1 - inner), look.lips_dark, 0.5)
    else:
        seam = L.stroke(curve(cy + 0.3 * m.press)[1:-1], 1.2, 1.2, 2.4 + 0.8 * m.press)
        L.paint(seam, look.lip_seam, 0.9)
    for side in (-1, 1):
        L.paint(L.ellipse(cx + side * (W + 0.5), corner_y, 2.2, 1.6), look.lip_corner, 0.55)
