"""How each sentence is worded: one combination of parts (lead, core, tail), dealt so that the show never loops.

Every pool and set of facts ("point" and "12小时保温") has its own deck over all part combinations
(``decks.Decks``): a fact goes through every wording before any comes back. On top of that, a wording is passed
over when one of its sentences was said within the repeat window (``repetition.RepeatMemory``; a sentence can also
come from another pool or product), when it has to be cut in two to fit a breath, or when it reuses the core of one
of the last few sentences of its pool or a lead or tail just heard: the same frame twice in a row sounds canned even
around new facts.
"""

from __future__ import annotations

from collections import deque

from .decks import Decks
from .grammar_en import NounForms, be, lower_start
from .phrasing import Parts, fields_of, join, usable
from .prepare import SpeakableProduct
from .repetition import RepeatMemory
from .timing import MAX_SENTENCE_S, Daypart, estimate_seconds, split_long

MAX_TRIES = 64    # wordings tried for one sentence before the least recently said one is taken
RECENT_CORES = 3  # a core is not reused within this many sentences of its pool
RECENT_PARTS = 3  # a lead or tail is not reused within this many sentences of the show
_EN_LOWER_FIELDS = ("point", "a", "shipping", "after_sales", "promo")


def product_fields(p: SpeakableProduct, language: str) -> dict[str, str]:
    """The fields every template of a product may use: its name, and in English its articles and pronouns."""
    if language == "zh":
        return {"name": p.name}
    return NounForms.of(p.name).fields()


def english_point(p: SpeakableProduct, point: str) -> str:
    """A verb-phrase selling point agreeing with the product: "keeps drinks cold" -> "keep" for plural names."""
    return NounForms.of(p.name).verb_phrase(point)


def spec_fields(name: str, value: str, language: str) -> dict[str, str]:
    out = {"spec_name": name, "spec_value": value}
    if language == "en":
        out["spec_is"] = be(name)
    return out


class Wording:
    """Chooses the words of each sentence; ``said`` tells it what went on air and when."""

    def __init__(self, table: dict[str, Parts], language: str, seed: int) -> None:
        self.table = table
        self.language = language
        self.decks = Decks(seed)
        self.memory = RepeatMemory()
        self._cores: dict[str, deque[str]] = {}
        self._leads: deque[str] = deque(maxlen=RECENT_PARTS)
        self._tails: deque[str] = deque(maxlen=RECENT_PARTS)

    def sentences(self, pool: str, values: dict[str, str], now_s: float, daypart: Daypart | None) -> list[str]:
        """One wording of ``pool`` filled with ``values``, as sentences of one breath each ([] when none fits)."""
        parts = self.table[pool]
        values = self._shape(values)
        have = set(values)
        cores = usable(parts.cores, have)
        if not cores:
            return []
        # when the clock is known, a pool with greetings for the time of day always opens with one (晚上好...)
        greetings = usable(parts.dayparts.get(daypart, ()), have) if daypart else ()
        leads = greetings or usable(parts.leads, have) or ("",)
        tails = usable(parts.tails, have) or ("",)
        used = set().union(*(fields_of(t) for t in leads + cores + tails))
        key = "|".join([pool] + [values[k] for k in sorted(used)])
        n_leads, n_cores, n = len(leads), len(cores), len(leads) * len(cores) * len(tails)
        recent = self._cores.setdefault(pool, deque(maxlen=RECENT_CORES))
        best: tuple[tuple[bool, float, bool, bool], str, str, str, list[str]] | None = None
        for _ in range(min(n, MAX_TRIES)):
            k = self.decks.draw(key, n)
            lead, core, tail = leads[k % n_leads], cores[k // n_leads % n_cores], tails[k // (n_leads * n_cores)]
            said = self._fill(lead, core, tail, values)
            last = max((t for s in said if (t := self.memory.last(s)) is not None), default=None)
            stale = not all(self.memory.fresh(s, now_s) for s in said)
            canned = core in recent or (lead != "" and lead in self._leads) or (tail != "" and tail in self._tails)
            score = (stale, last if stale and last is not None else 0.0, len(said) > 1, canned)
            if best is None or score < best[0]:
                best = (score, lead, core, tail, said)
            if not stale and not canned and len(said) == 1:
                break
        assert best is not None
        _, lead, core, tail, said = best
        recent.append(core)
        if lead:
            self._leads.append(lead)
        if tail:
            self._tails.append(tail)
        return said

    def said(self, sentence: str, at_s: float) -> None:
        self.memory.said(sentence, at_s)

    def _fill(self, lead: str, core: str, tail: str, values: dict[str, str]) -> list[str]:
        """The sentence, shortened to one breath when a fact is long: first without its lead, then without its
        tail, then without both; a core still too long is cut at a clause, never into a lone tail."""
        head, body, end = lead.format(**values), core.format(**values), tail.format(**values)
        for h, e in ((head, end), ("", end), (head, ""), ("", "")):
            text = join(h, body, e, self.language)
            if estimate_seconds(text, self.language) <= MAX_SENTENCE_S:
                return [text]
        return split_long(text, self.language)

    def _shape(self, values: dict[str, str]) -> dict[str, str]:
        """English: brief text inside a sentence starts in lower case; ``join`` capitalises the sentence."""
        if self.language != "en":
            return values
        return {k: lower_start(v) if k in _EN_LOWER_FIELDS else v for k, v in values.items()}
