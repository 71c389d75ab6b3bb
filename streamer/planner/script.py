"""The script contract: an endless stream of lines for the host to say, one sentence each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScriptLine:
    """One sentence of the show. ``cue`` asks the scene for a gesture ("present", "point_cart")."""

    text: str
    product_id: str
    kind: str
    cue: str | None = None
