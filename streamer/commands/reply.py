"""`streamer reply BRIEF`: comments as JSON lines on stdin, one JSON decision per line on stdout.

    echo '{"user": "ann", "text": "how much?"}' | streamer reply assets/briefs/demo_en.yaml
    {"intent": "price", "action": "reply", "text": "The Steel Trail Bottle is $24.99 today. ..."}

Every input line gets exactly one output line, in order, flushed at once (so it can sit in a pipe). A line that
is not a comment gets ``{"intent": null, "action": "ignore", "text": null, "error": "..."}``; blank lines are
skipped. ``--triage`` also applies the live room's flood control (per-user rate limit, duplicate window), which
turns repeats into ``ignore``.

With ``STREAMER_LLM_*`` set, replies are worded by the model exactly as on a served stream: the same responder from
``streamer.session_builder.build_responder``, every sentence guarded, the offline answer on timeouts and errors,
and the same circuit breaker across lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TextIO

from ..brief import load_brief
from ..comments import CommentError, parse_payload
from ..comments.triage import DuplicateWindow, RateLimiter, skeleton
from ..errors import ConfigError
from ..llm import LLMConfig
from ..responder import Decision, Responder
from ..responder.llm import LLMResponder
from ..session_builder import build_responder

__all__ = ["register", "reply"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reply", help="answer viewer comments (JSON lines on stdin) from a brief")
    p.add_argument("brief", help="brief file (YAML or JSON)")
    p.add_argument("--product", metavar="ID", help="the product on screen (default: the hero, else the first)")
    p.add_argument("--seed", type=int, default=0, help="wording variation seed")
    p.add_argument("--triage", action="store_true", help="also rate-limit users and drop repeated comments")
    p.set_defaults(func=reply)


def _write(out: TextIO, obj: dict[str, object]) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()


def reply(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    brief = load_brief(args.brief)
    if args.product and args.product not in {p.id for p in brief.products}:
        ids = ", ".join(p.id for p in brief.products)
        raise ConfigError(f"--product {args.product!r}: not in the brief (products: {ids})")
    responder = build_responder(brief, LLMConfig.from_env(), seed=args.seed, product_id=args.product)
    return asyncio.run(_answer(responder, args.triage, stdin or sys.stdin, stdout or sys.stdout))


async def _answer(responder: Responder | LLMResponder, triage: bool, stdin: TextIO, stdout: TextIO) -> int:
    limiter = RateLimiter() if triage else None
    duplicates = DuplicateWindow() if triage else None
    while line := await asyncio.to_thread(stdin.readline):
        if not line.strip():
            continue
        try:
            comment = parse_payload(line)
        except CommentError as e:
            _write(stdout, {"intent": None, "action": "ignore", "text": None, "error": str(e)})
            continue
        if isinstance(responder, LLMResponder):
            decision = await responder.respond(comment)
        else:
            decision = responder.respond(comment)
        if decision.action == "reply" and limiter is not None and duplicates is not None and (
                not limiter.allow(comment.author) or duplicates.seen(skeleton(comment.text))):
            decision = Decision(decision.intent, "ignore", reason="flood control")
        _write(stdout, dict(decision.to_dict()))
    return 0
