#!/usr/bin/env python3
"""Offline responder latency, printed as one JSON object: the figure the unit tests used to assert in milliseconds.

A unit test on a shared two-core machine can only tell a hang or a quadratic blow-up from a healthy answer
(tests/test_responder.py keeps that check, in seconds); how fast an answer is belongs here.

  single_product: the demo briefs (assets/briefs) and tests/data/comments_labelled.jsonl, ``--rounds`` times over
  multi_product:  the room briefs (tests/briefs) and the dev + held-out labelled sets, the product on screen set
                  per comment as in a live room

Each figure: n, mean, p50, p95 and max in milliseconds.

Usage: .venv/bin/python scripts/bench_responder.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamer.brief import load_brief  # noqa: E402
from streamer.comments import Comment, CommentKind  # noqa: E402
from streamer.responder import Responder  # noqa: E402

DATA = ROOT / "tests" / "data"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _figures(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"n": len(ms), "mean_ms": round(statistics.mean(ms), 3), "p50_ms": round(ms[len(ms) // 2], 3),
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 3), "max_ms": round(ms[-1], 3)}


def single_product(rounds: int) -> dict[str, float]:
    responders = {lang: Responder(load_brief(ROOT / f"assets/briefs/demo_{lang}.yaml")) for lang in ("zh", "en")}
    rows = _jsonl(DATA / "comments_labelled.jsonl")
    took = []
    for _ in range(rounds):
        for row in rows:
            comment = Comment(row["text"], user=row["user"])
            start = time.perf_counter()
            responders[row["lang"]].respond(comment)
            took.append(time.perf_counter() - start)
    return _figures(took)


def multi_product(rounds: int) -> dict[str, float]:
    rows = _jsonl(DATA / "comments_dev.jsonl") + _jsonl(DATA / "comments_heldout.jsonl")
    responders = {name: Responder(load_brief(ROOT / f"tests/briefs/{name}.yaml")) for name in {r["brief"] for r in rows}}
    took = []
    for _ in range(rounds):
        for row in rows:
            responder = responders[row["brief"]]
            responder.set_current_product(row["product"])
            comment = Comment(row["text"], user=row["user"], kind=CommentKind(row.get("kind", "chat")),
                              gift=row.get("gift", ""))
            start = time.perf_counter()
            responder.respond(comment)
            took.append(time.perf_counter() - start)
    return _figures(took)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="passes over each labelled set")
    args = ap.parse_args()
    print(json.dumps({"single_product": single_product(args.rounds), "multi_product": multi_product(args.rounds)},
                     indent=1))


if __name__ == "__main__":
    main()
