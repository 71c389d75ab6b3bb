"""`streamer avatars list`: the avatar packs this install knows (assets/avatars/), one line each."""

from __future__ import annotations

import argparse

from ..avatar import available, describe
from ..avatar.pack import PACKS_DIR
from ..errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("avatars", help="list the bundled avatar packs")
    sub = p.add_subparsers(dest="avatars_command", required=True)
    ls = sub.add_parser("list", help="name, kind and title of each pack under assets/avatars/")
    ls.set_defaults(func=_list)


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
