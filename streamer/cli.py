"""The `streamer` command. Each subcommand lives in streamer/commands/<name>.py with ``register(subparsers)``.

User mistakes (StreamerError) print one line on stderr and exit 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .errors import StreamerError

COMMANDS = ("run", "plan", "lint", "reply", "avatars", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streamer", description="A digital-human host that sells on livestreams 24/7.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as e:
            if e.name != f"{__package__}.commands.{name}":
                raise
            continue  # a command whose module is not part of this build
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except StreamerError as e:
        print(f"streamer {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
