"""A host's body, drawn from a ``BodyLook`` (looks.py): neck, jacket over a scoop-neck top (Xiaoya) or a collared
shirt and tie (Leo), the resting arm, and the gesturing arm in any pose.

Design units match face.py: the host canvas is 1000 x 1000 and one unit is one pixel of a 1080p frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .draw import Layer, Point, mirror
from .looks import BodyLook

CX = 400.0
BODY_BOX = (0.0, 380.0, 1000.0, 620.0)
UPPER_ARM = 200.0
FOREARM = 178.0


@dataclass(frozen=True)
class ArmPose:
    """Angles in degrees from straight down, positive swinging toward screen right; ``hand`` is rest|palm|point."""

    shoulder: float
    elbow: float  # absolute direction of the forearm
    hand: str = "rest"
    wrist: float = 0.0  # extra turn of the hand relative to the forearm


REST_POSE = ArmPose(10.0, -4.0, "rest")
PRESENT_POSE = ArmPose(50.0, 130.0, "palm", -12.0)
POINT_POSE = ArmPose(34.0, 84.0, "point", 0.0)


def torso(look: BodyLook) -> list[Point]:
    right = list(look.torso)
    return right + mirror(right, CX)[::-1]


def draw_body(L: Layer, look: BodyLook) -> None:
    """Neck, torso and the resting (screen-left) arm."""
    draw_arm(L, REST_POSE, look, mirror_x=True)  # behind the torso, which overlaps its shoulder like a sleeve seam
    neck = L.mask(list(look.neck))
    L.paint(neck, look.skin)
    L.tint(L.blur(L.ellipse(400, 440, 52, 30), 8), look.skin_shadow, 0.85, neck)
    body = L.mask(torso(look))
    L.gradient(body, look.jacket_light, look.jacket, (300, 520), (470, 900))
    L.tint(1 - L.blur(L.shift(body, 12, -4), 22), look.jacket_dark, 0.6, body)
    if look.under == "scoop":
        _scoop_top(L, look)
    else:
        _shirt_and_tie(L, look)
    for side in (-1, 1):
        _lapel(L, side, look)
    L.paint(L.ellipse(400, 736, 7, 7), look.button[0])
    L.paint(L.ellipse(399, 734, 2.5, 2.5), look.button[1], 0.8)
    # a clip-on microphone on the lapel: hosts wear one, and it reads as "presenter" at a glance
    L.paint(L.mask([(446, 600), (458, 596), (462, 620), (450, 624)]), (28, 28, 30))
    L.paint(L.ellipse(454, 598, 7, 6), (44, 44, 48))
    L.paint(L.ellipse(452, 596, 2.5, 2), (120, 120, 126))


def _scoop_top(L: Layer, look: BodyLook) -> None:
    """A scoop-neck top in the V of the open blazer, and a fine necklace."""
    v = L.mask([(356, 520), (444, 520), (432, 610), (400, 712), (368, 610)], smooth=False)
    L.paint(L.blur(v, 0.6), look.top)
    # the chest above the neckline overlaps the neck's base, so the two read as one piece of skin
    skin = L.mask([(358, 494), (442, 494), (437, 512), (428, 548), (400, 566), (372, 548), (363, 512)])
    L.paint(skin, look.skin)
    L.tint(L.blur(L.ellipse(400, 500, 44, 18), 8), look.skin_shadow, 0.45, skin)
    L.paint(L.stroke([(370, 548), (385, 562), (400, 567), (415, 562), (430, 548)], 1.4, 1.4, 2.2), look.top_shade)
    L.paint(L.stroke([(376, 552), (400, 572), (424, 552)], 0.8, 0.8, 1.2), (214, 176, 96), 0.9)  # necklace
    L.paint(L.ellipse(400, 575, 3.4, 4.2), (226, 190, 110))


def _shirt_and_tie(L: Layer, look: BodyLook) -> None:
    """A shirt front in the V of the jacket, its collar points around the neck, and a knotted tie."""
    v = L.mask([(350, 500), (450, 500), (440, 610), (400, 716), (360, 610)], smooth=False)
    L.paint(L.blur(v, 0.6), look.top)
    L.tint(L.blur(L.ellipse(400, 520, 40, 14), 6), look.top_shade, 0.7, v)  # under the chin
    blade = L.mask([(392, 548), (408, 548), (420, 640), (400, 676), (380, 640)], smooth=False)
    L.paint(L.blur(blade, 0.5), look.tie)
    L.tint(L.blur(L.stroke([(404, 556), (412, 620), (404, 660)], 3, 3, 6), 3), look.tie_dark, 0.5, blade)
    knot = L.mask([(388, 518), (412, 518), (408, 550), (392, 550)])
    L.paint(knot, look.tie)
    L.tint(L.blur(L.ellipse(404, 540, 8, 10), 3), look.tie_dark, 0.45, knot)
    for side in (-1, 1):  # collar points from the back of the neck to below the knot
        pts = [(400 + side * 50, 484), (400 + side * 6, 518), (400 + side * 32, 570), (400 + side * 54, 516)]
        wing = L.mask(pts, smooth=False)
        L.tint(L.blur(L.shift(wing, side * 2, 3), 2) * (1 - wing), look.top_shade, 0.9, v)
        L.paint(L.blur(wing, 0.5), look.top)
        L.paint(L.stroke(pts[1:3], 1.0, 1.0, 1.4), look.top_shade, 0.9)


def _lapel(L: Layer, side: int, look: BodyLook) -> None:
    pts = [(CX + side * 44, 512), (CX + side * 86, 548), (CX + side * 104, 600), (CX + side * 82, 616),
           (CX + side * 96, 640), (CX + side * 60, 690), (CX + side * 2, 742), (CX + side * 30, 640)]
    lapel = L.mask(pts, smooth=False)
    L.paint(L.blur(lapel, 0.5), look.jacket)
    L.tint(lapel, look.jacket_light, 0.3)
    # the lapel casts a thin shadow on the jacket front, which is what makes it read as folded cloth
    L.tint(L.blur(L.shift(lapel, side * 3, 3), 2.5) * (1 - lapel), look.jacket_dark, 0.6, L.mask(torso(look)))
    edge = [(CX + side * 44, 512), (CX + side * 30, 640), (CX + side * 2, 742)]
    L.paint(L.stroke(edge, 2.0, 1.0, 2.2), look.jacket_dark, 0.8)


def joints(pose: ArmPose, shoulder: Point) -> tuple[Point, Point, Point]:
    a, b = math.radians(pose.shoulder), math.radians(pose.elbow)
    sx, sy = shoulder
    ex, ey = sx + UPPER_ARM * math.sin(a), sy + UPPER_ARM * math.cos(a)
    wx, wy = ex + FOREARM * math.sin(b), ey + FOREARM * math.cos(b)
    return (sx, sy), (ex, ey), (wx, wy)


def draw_arm(L: Layer, pose: ArmPose, look: BodyLook, mirror_x: bool = False) -> None:
    """The sleeve, cuff and hand of one arm. ``mirror_x`` draws the screen-left arm (a mirror of the right)."""
    s, e, w = joints(pose, look.shoulder)
    if mirror_x:
        s, e, w = ((2 * CX - p[0], p[1]) for p in (s, e, w))
    f = -1.0 if mirror_x else 1.0
    dx, dy = w[0] - e[0], w[1] - e[1]
    n = math.hypot(dx, dy)
    ux, uy = dx / n, dy / n
    cuff = (w[0] - ux * 10, w[1] - uy * 10)
    _hand(L, pose, w, (ux, uy), f, look)
    (r_s, r_e), (r_e2, r_c) = look.upper_arm_r, look.forearm_r
    sleeve = np.maximum(L.capsule(s, e, r_s, r_e), L.capsule(e, cuff, r_e2, r_c))
    L.paint(sleeve, look.jacket)
    L.tint(1 - L.blur(L.shift(sleeve, -f * 10, -6), 10), look.jacket_dark, 0.55, sleeve)
    L.tint(L.blur(L.stroke([s, e], 6, 6, 10), 8), look.jacket_light, 0.35, sleeve)
    band = L.capsule((cuff[0] - ux * 8, cuff[1] - uy * 8), cuff, r_c, r_c) * sleeve
    L.tint(band, look.jacket_dark, 0.5)


def _hand(L: Layer, pose: ArmPose, w: Point, u: tuple[float, float], f: float, look: BodyLook) -> None:
    ang = math.atan2(u[1], u[0]) + math.radians(pose.wrist) * f
    skin, shade = look.skin, look.skin_shadow

    def at(along: float, across: float) -> Point:
        c, s_ = math.cos(ang), math.sin(ang)
        along, across = along * look.hand_scale, across * look.hand_scale
        return (w[0] + c * along - s_ * across * f, w[1] + s_ * along + c * across * f)

    if pose.hand == "palm":
        # palm up, fingers together reaching toward the product, thumb raised
        hand = L.mask([at(-8, -22), at(22, -24), at(70, -16), at(96, -6), at(100, 4), at(84, 12), at(40, 20),
                       at(0, 22), at(-10, 6)])
        L.paint(hand, skin)
        L.tint(L.blur(L.stroke([at(10, 14), at(60, 10), at(92, 4)], 8, 4, 8), 4), shade, 0.6, hand)
        for k in (-10.0, -2.0, 6.0):
            L.paint(L.stroke([at(52, k), at(88, k * 0.6 + 1)], 1.0, 0.6, 1.3), (200, 140, 120), 0.45)
        thumb = L.stroke([at(12, -18), at(30, -36), at(46, -44)], 20, 13, 17)
        L.paint(thumb, skin)
        L.paint(L.stroke([at(14, -14), at(30, -30)], 1.0, 1.0, 1.6), (200, 140, 120), 0.5)
    elif pose.hand == "point":
        fist = L.mask([at(-6, -24), at(30, -26), at(48, -16), at(50, 16), at(30, 24), at(-6, 22)])
        L.paint(fist, skin)
        L.tint(L.blur(L.stroke([at(6, 16), at(40, 14)], 8, 8), 4), shade, 0.7, fist)
        finger = L.stroke([at(36, -14), at(70, -16), at(98, -16)], 17, 13, 15)
        L.paint(finger, skin)
        L.paint(L.stroke([at(40, -5), at(84, -7)], 1.0, 0.6, 1.4), (200, 140, 120), 0.5)
        for k in (-4.0, 6.0, 15.0):
            L.paint(L.stroke([at(34, k), at(48, k)], 1.0, 1.0, 1.4), (200, 140, 120), 0.55)
        thumb = L.stroke([at(14, -20), at(34, -8)], 16, 12, 15)
        L.paint(thumb, skin)
    else:
        hand = L.mask([at(-6, -22), at(40, -20), at(70, -8), at(72, 10), at(40, 20), at(-6, 20)])
        L.paint(hand, skin)
        L.tint(L.blur(L.stroke([at(10, 12), at(60, 6)], 8, 8), 4), shade, 0.6, hand)
