"""Planner: brief -> rundown -> an endless stream of script lines for the session to speak.

    script_lines(brief, seed)          # endless ScriptLine iterator (template planner, offline)
    plan(brief, loops=3, seed=0)       # a Rundown of N loops, e.g. for `streamer plan`
    await LLMPlanner(brief, chat).aplan(loops)  # the same Rundown, blocks by an LLM, validated, template fallback
"""

from __future__ import annotations

from collections.abc import Iterator

from ..brief import Brief
from .llm import LLMPlanner
from .rundown import Dropped, Loop, Rundown, Segment, SegmentKind
from .script import ScriptLine
from .template import TemplatePlanner

__all__ = ["Dropped", "LLMPlanner", "Loop", "Rundown", "ScriptLine", "Segment", "SegmentKind", "TemplatePlanner",
           "plan", "script_lines"]


def plan(brief: Brief, loops: int = 3, seed: int = 0) -> Rundown:
    """The first ``loops`` loops of the template show."""
    return TemplatePlanner(brief, seed).plan(loops)


def script_lines(brief: Brief, seed: int = 0) -> Iterator[ScriptLine]:
    """Endless lines, one spoken sentence each, loop after loop, forever (the show runs 24/7)."""
    for loop in TemplatePlanner(brief, seed).loops():
        yield from loop.lines()
