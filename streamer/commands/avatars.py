"""`streamer avatars`: the avatar packs this install knows (`list`), and neural packs made from a reference video or
one portrait (`build`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..avatar import available, describe
from ..avatar.pack import PACKS_DIR
from ..errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("avatars", help="list the bundled avatar packs; build a neural pack from a video")
    sub = p.add_subparsers(dest="avatars_command", required=True)
    ls = sub.add_parser("list", help="name, kind and title of each pack under assets/avatars/")
    ls.set_defaults(func=_list)
    b = sub.add_parser("build", help="build a neural avatar pack from a reference video (1-60 s) or one portrait")
    b.add_argument("source", type=Path, help="a video of one front-facing face, or a portrait image")
    b.add_argument("--model", required=True, choices=("wav2lip", "musetalk"), help="the lip-sync network")
    b.add_argument("--out", required=True, type=Path, help="the pack directory to write (must be new or empty)")
    b.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="where the model encodes the face crops (default: cuda if there is one)")
    b.add_argument("--models-dir", type=Path, default=None,
                   help="the released model files (default: $STREAMER_MODELS_DIR, else models/)")
    b.add_argument("--force", action="store_true", help="replace a neural pack already in --out")
    b.set_defaults(func=_build)


def _list(args: argparse.Namespace) -> int:
    names = available()
    if not names:
        print(f"no avatar packs under {PACKS_DIR}")
        return 1
    for name in names:
        try:
            print(describe(PACKS_DIR / name))
        except ConfigError as e:  # one broken pack should not hide the others
            print(f"{name:<12} broken  {e}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from ..avatar.neural.build import build_pack
    from ..avatar.neural.models import models_dir
    from ..avatar.neural.pack import load_pack

    started = time.monotonic()
    out = build_pack(args.source, args.model, args.out, args.models_dir or models_dir(), args.device, args.force)
    pack = load_pack(out)
    m = pack.manifest
    sides = pack.boxes[:, 2] - pack.boxes[:, 0]
    print(f"built {out}: {m.model}, {m.frames} frames {m.size[0]}x{m.size[1]} at {m.fps:g} fps, face box "
          f"{int(sides.min())}-{int(sides.max())} px (crops {m.face_size} px), in {time.monotonic() - started:.1f} s")
    return 0
