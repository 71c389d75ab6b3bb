"""The claim guard on labelled sentences: every one that makes an ungrounded or illegal claim is refused.

The labels (tests/data/claims_*.jsonl: brief, product, sentence, the claim kinds it makes, whether it must be
refused) were written before the rules. Rules were tuned on the dev half only; the heldout half checks them on
sentences and briefs they were not tuned on.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from streamer.brief import load_brief
from streamer.claims import ClaimGuard

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
HELDOUT_PRECISION = 0.95  # of "refused": the share that had to be
HELDOUT_RECALL = 0.97     # of "must be refused": the share that was
HELDOUT_KINDS = 0.95      # of the labelled claim kinds: the share the reader finds


def rows(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@functools.cache
def guard(path: str) -> ClaimGuard:
    return ClaimGuard(load_brief(ROOT / path))


def refused(row: dict[str, object]) -> bool:
    return bool(guard(str(row["brief"])).problems(str(row["text"]), str(row["product"])))


def test_the_labelled_set_has_200_sentences_in_both_languages() -> None:
    both = rows("claims_dev.jsonl") + rows("claims_heldout.jsonl")
    chinese = [r for r in both if not str(r["text"]).isascii()]
    assert len(both) >= 200 and 80 <= len(chinese) <= len(both) - 80


@pytest.mark.parametrize("row", rows("claims_dev.jsonl"), ids=lambda r: str(r["text"]))
def test_dev_sentences_are_refused_exactly_when_labelled(row: dict[str, object]) -> None:
    assert refused(row) == row["refuse"]


def test_heldout_precision_and_recall_of_refusals() -> None:
    labelled = rows("claims_heldout.jsonl")
    outcome = [(refused(r), bool(r["refuse"])) for r in labelled]
    true_pos = sum(got and want for got, want in outcome)
    precision = true_pos / sum(got for got, _ in outcome)
    recall = true_pos / sum(want for _, want in outcome)
    assert precision >= HELDOUT_PRECISION and recall >= HELDOUT_RECALL, (precision, recall)


def test_heldout_claim_kinds_are_read() -> None:
    labelled = rows("claims_heldout.jsonl")
    found = wanted = 0
    for r in labelled:
        kinds = {c.kind.value for c in guard(str(r["brief"])).reader.read(str(r["text"]))}
        wanted += len(r["kinds"])  # type: ignore[arg-type]
        found += len(kinds & set(r["kinds"]))  # type: ignore[arg-type]
    assert found / wanted >= HELDOUT_KINDS, found / wanted
