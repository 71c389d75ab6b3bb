"""The rundown: an ordered plan of segments, loop after loop, that the session speaks one sentence at a time.

A ``Segment`` is one beat of the show for one product (a hook, a selling point, the price, the call to action...),
made of one or more short sentences. A ``Loop`` is one pass over the room's products; the show is loops forever.
These are pydantic models because the CLI, the API and the panel publish them as JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from .repetition import Figures, figures
from .script import ScriptLine
from .timing import estimate_seconds

Cue = Literal["present", "point_cart"]


class SegmentKind(StrEnum):
    WELCOME = "welcome"          # greets new viewers at the top of each loop
    TRANSITION = "transition"    # switches to the next product
    RECAP = "recap"              # comes back to a hero product between others
    HOOK = "hook"
    SCENE = "scene"              # the situation or pain point the product answers
    INTRO = "intro"              # shows the product (cue: present)
    POINT = "point"              # one selling point
    SPEC = "spec"
    TRUST = "trust"              # shipping and after-sales
    PRICE = "price"              # price, anchored against the list price when there is one
    PROMO = "promo"
    URGENCY = "urgency"          # real scarcity only: the brief's stock
    CTA = "cta"                  # tells viewers the link number (cue: point_cart)
    FAQ = "faq"
    SOLD_OUT = "sold_out"        # a product that cannot be bought now: said instead of any push


class Segment(BaseModel):
    """One beat of the show; ``cue`` asks the scene for a gesture when its first sentence starts."""

    kind: SegmentKind
    product_id: str
    sentences: list[str] = Field(min_length=1)
    cue: Cue | None = None
    est_s: float = Field(ge=0, description="estimated speaking time in seconds")
    source: Literal["template", "llm"] = "template"

    def lines(self) -> Iterator[ScriptLine]:
        for i, text in enumerate(self.sentences):
            yield ScriptLine(text, self.product_id, self.kind.value, self.cue if i == 0 else None)


class Loop(BaseModel):
    """One pass over the room's products, in the order they are presented."""

    index: int = Field(ge=0)
    segments: list[Segment]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def est_s(self) -> float:
        return round(sum(s.est_s for s in self.segments), 2)

    def lines(self) -> Iterator[ScriptLine]:
        for seg in self.segments:
            yield from seg.lines()


class Dropped(BaseModel):
    """Brief text the planner refused to say (it failed the compliance lint and could not be rewritten)."""

    product_id: str
    field: str
    text: str
    reasons: list[str]


class Rundown(BaseModel):
    """A plan of ``loops``; ``dropped`` lists what was left out of the brief and why."""

    language: Literal["zh", "en"]
    seed: int
    planner: str = "template"
    start: datetime | None = Field(default=None, description="clock time the show starts at, when known")
    loops: list[Loop]
    dropped: list[Dropped] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="e.g. why an LLM planner fell back to templates")

    def lines(self) -> Iterator[ScriptLine]:
        for loop in self.loops:
            yield from loop.lines()

    def sentences(self) -> list[str]:
        return [line.text for line in self.lines()]

    def distinct_ratio(self) -> float:
        """Distinct sentences / all sentences: 1.0 never repeats, low values sound like a recording."""
        said = self.sentences()
        return len(set(said)) / len(said) if said else 0.0

    def timed_sentences(self) -> Iterator[tuple[float, str]]:
        """Each sentence with its estimated start, in seconds from the start of the show."""
        t = 0.0
        for text in self.sentences():
            yield t, text
            t += estimate_seconds(text, self.language)

    def repetition(self) -> Figures:
        return figures(self.timed_sentences())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def min_repeat_interval_min(self) -> float | None:
        """Shortest time between two sayings of one sentence, word for word, in minutes (None: nothing repeats)."""
        gap = self.repetition().min_gap_s
        return None if gap is None else round(gap / 60, 2)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def distinct_sentence_ratio(self) -> float:
        return round(self.distinct_ratio(), 3)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def est_s(self) -> float:
        return round(sum(loop.est_s for loop in self.loops), 2)
