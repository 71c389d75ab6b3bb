"""Planner: brief -> rundown -> an endless stream of script lines for the session to speak.

    script_lines(brief, seed)          # endless ScriptLine iterator (a Show: template planner, offline)
    plan(brief, loops=3, seed=0)       # a Rundown of N loops, e.g. for `streamer plan`
    plan_hours(brief, hours, seed=0)   # a Rundown of about that much estimated speaking time
    await LLMPlanner(brief, chat).aplan(loops)  # the same Rundown, blocks by an LLM, validated, template fallback
    WriterPlanner(brief, chat).write_ahead()    # background task: fresh LLM blocks, each said once (all-day shows)

``start`` (a datetime) tells the planner the clock time the show starts at, for lines that fit the time of day.
A running show follows the brief and the room through its planner: ``show.planner.update(brief)``,
``show.planner.update_product(product)``, ``show.planner.observe(RoomPulse(...))``, from the next product block;
``Show(planner, carry_on=product_id)`` then goes on with the loop at the product on screen, from its new facts.
"""

from __future__ import annotations

from datetime import datetime

from ..brief import Brief
from .llm import LLMPlanner
from .room import RoomPulse
from .rundown import Dropped, Loop, Rundown, Segment, SegmentKind
from .script import ScriptLine
from .show import Show
from .template import TemplatePlanner
from .writer import WriterPlanner

__all__ = ["Dropped", "LLMPlanner", "Loop", "RoomPulse", "Rundown", "ScriptLine", "Segment", "SegmentKind", "Show",
           "TemplatePlanner", "WriterPlanner", "plan", "plan_hours", "script_lines"]


def plan(brief: Brief, loops: int = 3, seed: int = 0, *, start: datetime | None = None) -> Rundown:
    """The first ``loops`` loops of the template show."""
    return TemplatePlanner(brief, seed, start=start).plan(loops)


def plan_hours(brief: Brief, hours: float, seed: int = 0, *, start: datetime | None = None) -> Rundown:
    """Whole loops of the template show until it lasts ``hours`` (estimated speaking time)."""
    return TemplatePlanner(brief, seed, start=start).plan_for(hours * 3600)


def script_lines(brief: Brief, seed: int = 0, *, start: datetime | None = None) -> Show:
    """Endless lines, one spoken sentence each, block after block, forever (the show runs 24/7)."""
    return Show(TemplatePlanner(brief, seed, start=start))
