"""Where a comment's question is: its last clause that asks something.

Viewers ramble before they ask ("下班好累，堵了一小时车……这件外套多少钱", "my old tent leaked all night, so does this
one have a warranty?"). Classifying the whole comment lets an early clause decide (a complaint about another shop,
a greeting) and answering it looks things up with every word of the ramble. `final_question` finds the clause to
answer: the comment is cut at sentence and clause punctuation, and the last piece that reads as a question (a
question mark, a Chinese question particle or question word, an English question word first) is it.
"""

from __future__ import annotations

import re

from .normalize import normalize

__all__ = ["clauses", "final_question"]

_CUT = re.compile(r"(?:[，。！!？?；;…~\n]|(?<!\d)[.,]|[.,](?!\d))+")  # not the point in 39.99 or 1,200
_KEEP_CUT = re.compile(r"(?<=[？?])")
_ZH_ASKS = re.compile(r"[吗呢么嘛]\s*$|多少|怎么|怎样|如何|什么|啥|哪|几|是否|能不能|可不可以|有没有|是不是|"
                      r"([\u4e00-\u9fff])不\1")
_EN_ASKS = re.compile(r"^\W*(so |and |but |anyway |also |then |ok |okay )*"
                      r"(how|what|which|when|where|who|why|does|do|did|is|are|can|could|will|would|any|should|"
                      r"has|have)(?![a-z])")


def clauses(text: str) -> list[str]:
    """The clauses of ``normalize(text)``, each keeping its own question mark."""
    out: list[str] = []
    for sentence in _KEEP_CUT.split(normalize(text)):
        pieces = [p.strip() for p in _CUT.split(sentence)]
        pieces = [p for p in pieces if p]
        if pieces and sentence.rstrip().endswith(("?", "？")):
            pieces[-1] += "?"
        out += pieces
    return out


def _asks(clause: str) -> bool:
    return clause.endswith("?") or bool(_ZH_ASKS.search(clause) or _EN_ASKS.search(clause))


def final_question(text: str) -> str | None:
    """The last clause of ``text`` that asks something, or None (one-clause comments give that clause)."""
    parts = clauses(text)
    return next((c for c in reversed(parts) if _asks(c)), None)
