"""The bundled hosts' looks: every shape and colour that makes Xiaoya or Leo, as data the painters (face.py, body.py)
draw from, so a second host is a second set of numbers rather than a second copy of the drawing code.

Points are in design units (one unit is one pixel of a 1080p frame; the face's axis is x = 400). ``HOSTS`` maps the
pack name the generator writes to the look it draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .draw import Color, Point

Presents = Literal["female", "male"]
Strand = tuple[tuple[Point, ...], float]  # a hair strand's centre line and its widest width


@dataclass(frozen=True)
class HeadLook:
    """Face, hair, brows, eyes and lips."""

    skin: Color
    skin_low: Color  # the face's gradient toward the chin
    skin_shadow: Color
    face: tuple[Point, ...]  # right half of the outline from the crown to the chin (x >= 400); mirrored
    front_hair: tuple[Point, ...]  # closed: outer edge, then the hairline back
    hair_top: Color
    hair_bottom: Color
    hair_light: Color
    sheen: tuple[Point, ...]
    dark_strands: tuple[Strand, ...]
    light_strands: tuple[Strand, ...]
    fringe_shadow: Color  # what the hair's shadow on the forehead tints toward
    brow: tuple[tuple[float, float], ...]  # (dx from the axis, y) along the right brow, inner to outer
    brow_width: tuple[float, float, float]  # start, end, middle
    brow_color: Color
    lash_width: float  # the upper lash line's width on an open eye
    lash_flick: bool  # the outer corner's lifted flick (eyeliner)
    lips: Color
    lips_dark: Color
    lip_shine: float  # opacity of the highlight on the lower lip
    lip_seam: Color
    lip_corner: Color
    blush: Color
    blush_opacity: float
    back_hair: tuple[Point, ...] | None = None  # right half, mirrored; None: short hair, nothing behind the head
    back_hair_colors: tuple[Color, Color] = ((70, 47, 40), (40, 27, 25))
    ears: bool = False  # short hair leaves them showing
    stubble: float = 0.0  # opacity of the shaved beard's shadow over the jaw and upper lip
    nose_width: float = 1.0
    parting: tuple[Point, ...] | None = None  # a side parting's line, for short hair


@dataclass(frozen=True)
class BodyLook:
    """Neck, jacket, what is worn under it, and the arms."""

    skin: Color
    skin_shadow: Color
    jacket: Color
    jacket_dark: Color
    jacket_light: Color
    button: tuple[Color, Color]
    torso: tuple[Point, ...]  # right half from the neck to the bottom edge; mirrored
    neck: tuple[Point, ...]
    shoulder: Point  # the gesturing arm's shoulder joint (screen right, toward the product card)
    upper_arm_r: tuple[float, float]  # sleeve radius at the shoulder and the elbow
    forearm_r: tuple[float, float]  # at the elbow and the cuff
    hand_scale: float
    under: Literal["scoop", "shirt_tie"]  # a scoop-neck top with a necklace, or a collared shirt and a tie
    top: Color
    top_shade: Color
    tie: Color = (0, 0, 0)
    tie_dark: Color = (0, 0, 0)


@dataclass(frozen=True)
class Host:
    name: str  # the pack's name
    title: str
    presents: Presents
    head: HeadLook
    body: BodyLook
    languages: tuple[str, ...] = ("zh", "en")  # the languages the host presents in (both bundled hosts: either)


XIAOYA = Host(
    name="default",
    title="Xiaoya, the bundled presenter (drawn by streamer.avatar.art)",
    presents="female",
    head=HeadLook(
        skin=(247, 215, 193), skin_low=(240, 200, 178), skin_shadow=(226, 168, 146),
        face=((400, 168), (455, 174), (498, 203), (518, 252), (521, 305), (511, 356), (487, 400), (454, 434),
              (424, 452), (400, 457)),
        back_hair=((400, 112), (478, 120), (535, 160), (560, 235), (564, 330), (556, 420), (536, 472), (500, 484),
                   (450, 470), (400, 468)),
        front_hair=((312, 488), (276, 456), (258, 392), (250, 300), (259, 218), (290, 154), (340, 116), (410, 106),
                    (470, 120), (521, 158), (547, 224), (553, 300), (545, 392), (527, 456), (494, 490),
                    (494, 466), (503, 402), (511, 330), (506, 274), (478, 246), (440, 226), (400, 210), (366, 198),
                    (342, 196), (320, 214), (304, 252), (296, 326), (299, 402), (308, 466)),
        hair_top=(88, 60, 48), hair_bottom=(46, 31, 28), hair_light=(112, 78, 64),
        sheen=((292, 196), (340, 150), (400, 136), (460, 146), (510, 186)),
        dark_strands=((((344, 198), (390, 208), (446, 232), (492, 262)), 2.2),
                      (((356, 170), (410, 186), (470, 214), (515, 262)), 1.8),
                      (((318, 190), (292, 260), (282, 350), (292, 455)), 1.8),
                      (((470, 150), (525, 210), (538, 320), (516, 455)), 1.8)),
        light_strands=((((330, 178), (385, 190), (450, 216), (500, 258)), 3.0),
                       (((300, 230), (280, 300), (276, 380), (290, 440)), 2.5),
                       (((500, 190), (530, 260), (534, 350), (518, 430)), 2.5)),
        fringe_shadow=(196, 140, 122),
        brow=((22, 272), (40, 265), (60, 264), (80, 271)), brow_width=(5.0, 2.2, 6.0), brow_color=(84, 58, 48),
        lash_width=4.5, lash_flick=True,
        lips=(204, 92, 102), lips_dark=(168, 62, 76), lip_shine=0.55, lip_seam=(120, 44, 52),
        lip_corner=(160, 90, 84), blush=(240, 146, 140), blush_opacity=0.32,
    ),
    body=BodyLook(
        skin=(247, 215, 193), skin_shadow=(222, 166, 146),
        jacket=(36, 86, 116), jacket_dark=(22, 56, 80), jacket_light=(70, 128, 156),
        button=((16, 40, 58), (90, 140, 170)),
        torso=((432, 508), (474, 526), (536, 542), (580, 560), (604, 600), (600, 700), (578, 800), (584, 900),
               (592, 1010)),
        neck=((364, 400), (436, 400), (440, 470), (452, 528), (400, 560), (348, 528), (360, 470)),
        shoulder=(582.0, 598.0), upper_arm_r=(38.0, 32.0), forearm_r=(31.0, 27.0), hand_scale=1.2,
        under="scoop", top=(250, 244, 234), top_shade=(218, 206, 192),
    ),
)

LEO = Host(
    name="leo",
    title="Leo, the bundled presenter (drawn by streamer.avatar.art)",
    presents="male",
    head=HeadLook(
        skin=(236, 199, 172), skin_low=(226, 184, 156), skin_shadow=(206, 150, 124),
        # a broader, squarer jaw and a fuller chin than Xiaoya's oval
        face=((400, 160), (458, 166), (502, 196), (522, 246), (527, 302), (523, 356), (510, 404), (482, 440),
              (446, 460), (400, 468)),
        # short hair: a cap over the crown with a side part, the hairline high on the forehead, short sideburns
        front_hair=((292, 326), (282, 290), (274, 236), (284, 184), (314, 142), (364, 114), (428, 108), (486, 122),
                    (526, 158), (540, 210), (532, 268), (518, 326),
                    (508, 324), (508, 280), (500, 244), (476, 222), (440, 210), (400, 206), (364, 200), (340, 192),
                    (316, 226), (302, 270), (300, 326)),
        hair_top=(64, 48, 40), hair_bottom=(30, 23, 21), hair_light=(104, 80, 66),
        sheen=((316, 176), (360, 140), (420, 126), (480, 136), (516, 170)),
        dark_strands=((((332, 224), (360, 196), (410, 176), (476, 170), (520, 196)), 2.2),
                      (((318, 214), (344, 174), (402, 150), (470, 148), (516, 176)), 1.8),
                      (((300, 262), (290, 224), (306, 180), (344, 146)), 1.6),
                      (((504, 244), (522, 214), (520, 176)), 1.6)),
        light_strands=((((324, 200), (370, 164), (430, 148), (492, 158)), 3.0),
                       (((346, 228), (392, 196), (452, 186), (504, 206)), 2.4)),
        fringe_shadow=(186, 132, 110),
        brow=((18, 270), (38, 264), (60, 263), (82, 268)), brow_width=(9.0, 5.0, 9.5), brow_color=(52, 38, 32),
        lash_width=2.4, lash_flick=False,
        lips=(200, 130, 120), lips_dark=(170, 104, 96), lip_shine=0.2, lip_seam=(118, 62, 58),
        lip_corner=(170, 112, 100), blush=(230, 150, 130), blush_opacity=0.1,
        ears=True, stubble=0.24, nose_width=1.25, parting=((340, 194), (336, 160), (346, 124)),
    ),
    body=BodyLook(
        skin=(236, 199, 172), skin_shadow=(206, 150, 124),
        jacket=(54, 62, 80), jacket_dark=(32, 37, 50), jacket_light=(96, 106, 128),
        button=((24, 28, 38), (120, 130, 150)),
        # broader, squarer shoulders than Xiaoya's
        torso=((438, 500), (486, 514), (556, 530), (606, 550), (632, 596), (628, 700), (606, 800), (610, 900),
               (616, 1010)),
        neck=((354, 396), (446, 396), (452, 470), (462, 524), (400, 560), (338, 524), (348, 470)),
        shoulder=(602.0, 596.0), upper_arm_r=(43.0, 36.0), forearm_r=(35.0, 30.0), hand_scale=1.3,
        under="shirt_tie", top=(238, 243, 250), top_shade=(196, 206, 220), tie=(132, 38, 52), tie_dark=(92, 22, 36),
    ),
)

HOSTS: dict[str, Host] = {h.name: h for h in (XIAOYA, LEO)}
