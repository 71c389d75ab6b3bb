"""0 ungrounded claims spoken: loops of the show on every test and bundled brief say none of the claims planted in
the briefs (tests/data/claims_expected.jsonl lists them) and nothing the claim guard refuses."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from streamer.brief import load_brief
from streamer.claims import ClaimGuard
from streamer.planner import Rundown, plan

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {ROOT / r["brief"]: r["never_said"] for r in
            map(json.loads, (ROOT / "tests/data/claims_expected.jsonl").read_text(encoding="utf-8").splitlines())}
BRIEFS = sorted({*(ROOT / "assets/briefs").glob("*.yaml"), *(ROOT / "tests/briefs").rglob("*.yaml")})
LOOPS = 6
SEEDS = (0, 3)


@functools.cache
def show(path: Path, seed: int) -> Rundown:
    return plan(load_brief(path), loops=LOOPS, seed=seed)


def test_every_claims_brief_lists_its_planted_claims() -> None:
    assert set(EXPECTED) == set((ROOT / "tests/briefs/claims").glob("*.yaml")) and len(EXPECTED) >= 8


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_no_planted_claim_is_ever_said(path: Path, seed: int) -> None:
    said = show(path, seed).sentences()
    assert len(said) > 50
    assert [(s, w) for s in said for w in EXPECTED[path] if w.lower() in s.lower()] == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", BRIEFS, ids=lambda p: p.name)
def test_every_sentence_said_passes_the_claim_guard_for_its_product(path: Path, seed: int) -> None:
    guard = ClaimGuard(load_brief(path))
    bad = [(line.text, [str(p) for p in guard.problems(line.text, line.product_id)])
           for line in show(path, seed).lines()]
    assert [b for b in bad if b[1]] == []
