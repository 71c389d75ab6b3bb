"""The default host's head: back hair, face, eyes, brows, nose, mouth and front hair, in design units.

The head is drawn whole for every mouth shape and eye openness; the generator cuts the mouth and eye regions out of
those renders, so a sprite always matches the base face around it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .draw import Layer, Point, mirror

CX = 400.0  # the face's vertical axis
HEAD_BOX = (220.0, 90.0, 360.0, 430.0)  # x, y, w, h of the head layers in design units
MOUTH_C = (400.0, 404.0)
EYE_Y = 309.0
EYE_DX = 48.0

SKIN = (247, 215, 193)
SKIN_SHADOW = (226, 168, 146)
BLUSH = (240, 146, 140)
HAIR = (48, 33, 32)
HAIR_LIGHT = (112, 78, 64)
LIPS = (204, 92, 102)
LIPS_DARK = (168, 62, 76)
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


def face_outline() -> list[Point]:
    right: list[Point] = [(CX, 168), (455, 174), (498, 203), (518, 252), (521, 305), (511, 356), (487, 400), (454, 434),
             (424, 452)]
    chin = [(CX, 457)]
    left = mirror(right[1:], CX)[::-1]
    return right + chin + left


def back_hair() -> list[Point]:
    right: list[Point] = [(CX, 112), (478, 120), (535, 160), (560, 235), (564, 330), (556, 420), (536, 472), (500, 484),
             (450, 470)]
    return right + [(CX, 468)] + mirror(right[1:], CX)[::-1]


def front_hair() -> list[Point]:
    outer: list[Point] = [(312, 488), (276, 456), (258, 392), (250, 300), (259, 218), (290, 154), (340, 116),
                          (410, 106), (470, 120), (521, 158), (547, 224), (553, 300), (545, 392), (527, 456),
                          (494, 490)]
    inner: list[Point] = [(494, 466), (503, 402), (511, 330), (506, 274), (478, 246), (440, 226), (400, 210), (366, 198),
             (342, 196), (320, 214), (304, 252), (296, 326), (299, 402), (308, 466)]
    return outer + inner


def draw_back_hair(L: Layer) -> None:
    m = L.mask(back_hair())
    L.gradient(m, (70, 47, 40), (40, 27, 25), (400, 110), (400, 500))


def draw_face(L: Layer, mouth: MouthShape, eyes: float) -> None:
    """Paint the face with the given mouth shape and eye openness (1 open, 0 closed) onto the head layer."""
    face = L.mask(face_outline())
    L.gradient(face, SKIN, (240, 200, 178), (400, 200), (400, 460))
    # soft form shading: darker toward the jaw edges, light from the upper left
    inner = L.blur(L.shift(face, 10, -6), 14)
    L.tint(1 - inner, SKIN_SHADOW, 0.55, face)
    for side in (-1, 1):
        L.tint(L.radial(CX + side * 58, 378, 34), BLUSH, 0.32, face)
    _nose(L, face)
    for side in (-1, 1):
        _brow(L, side)
        _eye(L, side, eyes)
    _mouth(L, mouth, face)
    # the fringe casts a soft shadow on the forehead
    hair = L.mask(front_hair())
    L.tint(L.blur(L.shift(hair, 3, 7), 5), (196, 140, 122), 0.55, face * (1 - hair))
    _front_hair(L, hair)


def _front_hair(L: Layer, hair: np.ndarray) -> None:
    L.gradient(hair, (88, 60, 48), (46, 31, 28), (400, 120), (400, 480))
    # a sheen band across the crown
    sheen = L.stroke([(292, 196), (340, 150), (400, 136), (460, 146), (510, 186)], 8, 10, 22)
    L.tint(L.blur(sheen, 6), HAIR_LIGHT, 0.55, hair)
    # strand lines that follow the sweep of the fringe
    for pts, w in (
        ([(344, 198), (390, 208), (446, 232), (492, 262)], 2.2),
        ([(356, 170), (410, 186), (470, 214), (515, 262)], 1.8),
        ([(318, 190), (292, 260), (282, 350), (292, 455)], 1.8),
        ([(470, 150), (525, 210), (538, 320), (516, 455)], 1.8),
    ):
        L.tint(L.stroke(pts, 0.5, 0.5, w), (26, 18, 18), 0.45, hair)
    # a few lighter strands catch the light along the sweep
    for pts, w in (
        ([(330, 178), (385, 190), (450, 216), (500, 258)], 3.0),
        ([(300, 230), (280, 300), (276, 380), (290, 440)], 2.5),
        ([(500, 190), (530, 260), (534, 350), (518, 430)], 2.5),
    ):
        L.tint(L.blur(L.stroke(pts, 0.5, 0.5, w), 1.2), HAIR_LIGHT, 0.35, hair)


def _nose(L: Layer, face: np.ndarray) -> None:
    bridge = L.stroke([(392, 318), (389, 345), (388, 366)], 1.0, 4.5, 3.5)
    L.tint(L.blur(bridge, 3), SKIN_SHADOW, 0.45, face)
    base = L.stroke([(388, 372), (396, 377), (404, 377), (412, 372)], 2.0, 2.0, 3.2)
    L.tint(L.blur(base, 1.2), (196, 128, 110), 0.7, face)
    L.tint(L.radial(402, 360, 9), (255, 236, 222), 0.5, face)


def _brow(L: Layer, side: int) -> None:
    pts = [(CX + side * 22, 272), (CX + side * 40, 265), (CX + side * 60, 264), (CX + side * 80, 271)]
    L.paint(L.stroke(pts, 5.0, 2.2, 6.0), (84, 58, 48), 0.9)


def _eye(L: Layer, side: int, e: float) -> None:
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
    lash = upper[1:] + [(outer[0] + side * 7, outer[1] - 5)]
    width = 3.0 + 1.5 * e
    L.paint(L.stroke(lash, 1.8, 1.2, width + 1.2), LASH)


def _mouth(L: Layer, m: MouthShape, face: np.ndarray) -> None:
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
    L.tint(L.blur(L.ellipse(cx, lo_in + t_lo + 5, W * 0.55, 4.5), 3), SKIN_SHADOW, 0.5, face)
    lips = L.mask(top + bottom)
    L.paint(lips, LIPS)
    upper_lip = L.mask(top[::-1] + curve(up_in)[1:-1])
    L.tint(upper_lip, LIPS_DARK, 0.55)
    L.tint(L.blur(L.ellipse(cx + 3, lo_in + t_lo * 0.45, W * 0.35, t_lo * 0.22), 2), (250, 170, 170), 0.55, lips)
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
            L.paint(cover, LIPS)
        L.paint(L.blur(inner, 0.8) * (1 - inner), LIPS_DARK, 0.5)
    else:
        seam = L.stroke(curve(cy + 0.3 * m.press)[1:-1], 1.2, 1.2, 2.4 + 0.8 * m.press)
        L.paint(seam, (120, 44, 52), 0.9)
    for side in (-1, 1):
        L.paint(L.ellipse(cx + side * (W + 0.5), corner_y, 2.2, 1.6), (160, 90, 84), 0.55)
