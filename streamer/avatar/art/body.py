"""The default host's body: neck, blazer over a cream top, the resting arm, and the gesturing arm in any pose.

Design units match face.py: the host canvas is 1000 x 1000 and one unit is one pixel of a 1080p frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .draw import Layer, Point, mirror

CX = 400.0
BODY_BOX = (0.0, 380.0, 1000.0, 620.0)
SHOULDER_R = (582.0, 598.0)  # the gesturing arm's shoulder joint (screen right, toward the product card)
UPPER_ARM = 200.0
FOREARM = 178.0
HAND_SCALE = 1.2

SKIN = (247, 215, 193)
SKIN_SHADOW = (222, 166, 146)
BLAZER = (36, 86, 116)
BLAZER_DARK = (22, 56, 80)
BLAZER_LIGHT = (70, 128, 156)
TOP = (250, 244, 234)
TOP_SHADE = (218, 206, 192)


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


def torso() -> list[Point]:
    right = [(432, 508), (474, 526), (536, 542), (580, 560), (604, 600), (600, 700), (578, 800), (584, 900), (592, 1010)]
    return right + mirror(right, CX)[::-1]


def draw_body(L: Layer) -> None:
    """Neck, torso and the resting (screen-left) arm."""
    draw_arm(L, REST_POSE, mirror_x=True)  # behind the torso, which overlaps its shoulder like a sleeve seam
    neck = L.mask([(364, 400), (436, 400), (440, 470), (452, 528), (400, 560), (348, 528), (360, 470)])
    L.paint(neck, SKIN)
    L.tint(L.blur(L.ellipse(400, 440, 52, 30), 8), SKIN_SHADOW, 0.85, neck)
    body = L.mask(torso())
    L.gradient(body, BLAZER_LIGHT, BLAZER, (300, 520), (470, 900))
    L.tint(1 - L.blur(L.shift(body, 12, -4), 22), BLAZER_DARK, 0.6, body)
    # scoop-neck top in the V of the open blazer
    v = L.mask([(356, 520), (444, 520), (432, 610), (400, 712), (368, 610)], smooth=False)
    L.paint(L.blur(v, 0.6), TOP)
    # the chest above the neckline overlaps the neck's base, so the two read as one piece of skin
    skin = L.mask([(358, 494), (442, 494), (437, 512), (428, 548), (400, 566), (372, 548), (363, 512)])
    L.paint(skin, SKIN)
    L.tint(L.blur(L.ellipse(400, 500, 44, 18), 8), SKIN_SHADOW, 0.45, skin)
    L.paint(L.stroke([(370, 548), (385, 562), (400, 567), (415, 562), (430, 548)], 1.4, 1.4, 2.2), TOP_SHADE)
    L.paint(L.stroke([(376, 552), (400, 572), (424, 552)], 0.8, 0.8, 1.2), (214, 176, 96), 0.9)  # necklace
    L.paint(L.ellipse(400, 575, 3.4, 4.2), (226, 190, 110))
    for side in (-1, 1):
        _lapel(L, side)
    L.paint(L.ellipse(400, 736, 7, 7), (16, 40, 58))  # button
    L.paint(L.ellipse(399, 734, 2.5, 2.5), (90, 140, 170), 0.8)
    # a clip-on microphone on the lapel: hosts wear one, and it reads as "presenter" at a glance
    L.paint(L.mask([(446, 600), (458, 596), (462, 620), (450, 624)]), (28, 28, 30))
    L.paint(L.ellipse(454, 598, 7, 6), (44, 44, 48))
    L.paint(L.ellipse(452, 596, 2.5, 2), (120, 120, 126))


def _lapel(L: Layer, side: int) -> None:
    pts = [(CX + side * 44, 512), (CX + side * 86, 548), (CX + side * 104, 600), (CX + side * 82, 616),
           (CX + side * 96, 640), (CX + side * 60, 690), (CX + side * 2, 742), (CX + side * 30, 640)]
    lapel = L.mask(pts, smooth=False)
    L.paint(L.blur(lapel, 0.5), BLAZER)
    L.tint(lapel, BLAZER_LIGHT, 0.3)
    # the lapel casts a thin shadow on the blazer front, which is what makes it read as folded cloth
    L.tint(L.blur(L.shift(lapel, side * 3, 3), 2.5) * (1 - lapel), BLAZER_DARK, 0.6, L.mask(torso()))
    edge = [(CX + side * 44, 512), (CX + side * 30, 640), (CX + side * 2, 742)]
    L.paint(L.stroke(edge, 2.0, 1.0, 2.2), BLAZER_DARK, 0.8)


def joints(pose: ArmPose, shoulder: Point = SHOULDER_R) -> tuple[Point, Point, Point]:
    a, b = math.radians(pose.shoulder), math.radians(pose.elbow)
    sx, sy = shoulder
    ex, ey = sx + UPPER_ARM * math.sin(a), sy + UPPER_ARM * math.cos(a)
    wx, wy = ex + FOREARM * math.sin(b), ey + FOREARM * math.cos(b)
    return (sx, sy), (ex, ey), (wx, wy)


def draw_arm(L: Layer, pose: ArmPose, mirror_x: bool = False) -> None:
    """The sleeve, cuff and hand of one arm. ``mirror_x`` draws the screen-left arm (a mirror of the right)."""
    s, e, w = joints(pose)
    if mirror_x:
        s, e, w = ((2 * CX - p[0], p[1]) for p in (s, e, w))
    f = -1.0 if mirror_x else 1.0
    dx, dy = w[0] - e[0], w[1] - e[1]
    n = math.hypot(dx, dy)
    ux, uy = dx / n, dy / n
    cuff = (w[0] - ux * 10, w[1] - uy * 10)
    _hand(L, pose, w, (ux, uy), f)
    sleeve = np.maximum(L.capsule(s, e, 38, 32), L.capsule(e, cuff, 31, 27))
    L.paint(sleeve, BLAZER)
    L.tint(1 - L.blur(L.shift(sleeve, -f * 10, -6), 10), BLAZER_DARK, 0.55, sleeve)
    L.tint(L.blur(L.stroke([s, e], 6, 6, 10), 8), BLAZER_LIGHT, 0.35, sleeve)
    band = L.capsule((cuff[0] - ux * 8, cuff[1] - uy * 8), cuff, 27, 27) * sleeve
    L.tint(band, BLAZER_DARK, 0.5)


def _hand(L: Layer, pose: ArmPose, w: Point, u: tuple[float, float], f: float) -> None:
    ang = math.atan2(u[1], u[0]) + math.radians(pose.wrist) * f

    def at(along: float, across: float) -> Point:
        c, s_ = math.cos(ang), math.sin(ang)
        along, across = along * HAND_SCALE, across * HAND_SCALE
        return (w[0] + c * along - s_ * across * f, w[1] + s_ * along + c * across * f)

    if pose.hand == "palm":
        # palm up, fingers together reaching toward the product, thumb raised
        hand = L.mask([at(-8, -22), at(22, -24), at(70, -16), at(96, -6), at(100, 4), at(84, 12), at(40, 20),
                       at(0, 22), at(-10, 6)])
        L.paint(hand, SKIN)
        L.tint(L.blur(L.stroke([at(10, 14), at(60, 10), at(92, 4)], 8, 4, 8), 4), SKIN_SHADOW, 0.6, hand)
        for k in (-10.0, -2.0, 6.0):
            L.paint(L.stroke([at(52, k), at(88, k * 0.6 + 1)], 1.0, 0.6, 1.3), (200, 140, 120), 0.45)
        thumb = L.stroke([at(12, -18), at(30, -36), at(46, -44)], 20, 13, 17)
        L.paint(thumb, SKIN)
        L.paint(L.stroke([at(14, -14), at(30, -30)], 1.0, 1.0, 1.6), (200, 140, 120), 0.5)
    elif pose.hand == "point":
        fist = L.mask([at(-6, -24), at(30, -26), at(48, -16), at(50, 16), at(30, 24), at(-6, 22)])
        L.paint(fist, SKIN)
        L.tint(L.blur(L.stroke([at(6, 16), at(40, 14)], 8, 8), 4), SKIN_SHADOW, 0.7, fist)
        finger = L.stroke([at(36, -14), at(70, -16), at(98, -16)], 17, 13, 15)
        L.paint(finger, SKIN)
        L.paint(L.stroke([at(40, -5), at(84, -7)], 1.0, 0.6, 1.4), (200, 140, 120), 0.5)
        for k in (-4.0, 6.0, 15.0):
            L.paint(L.stroke([at(34, k), at(48, k)], 1.0, 1.0, 1.4), (200, 140, 120), 0.55)
        thumb = L.stroke([at(14, -20), at(34, -8)], 16, 12, 15)
        L.paint(thumb, SKIN)
    else:
        hand = L.mask([at(-6, -22), at(40, -20), at(70, -8), at(72, 10), at(40, 20), at(-6, 20)])
        L.paint(hand, SKIN)
        L.tint(L.blur(L.stroke([at(10, 12), at(60, 6)], 8, 8), 4), SKIN_SHADOW, 0.6, hand)
