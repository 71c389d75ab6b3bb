"""`Decision`: what the responder decided about one comment, in the shape the CLI and the API emit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..comments.triage import Intent

__all__ = ["Action", "Decision"]

Action = Literal["reply", "ignore", "block"]


@dataclass(frozen=True, slots=True)
class Decision:
    """``action`` is reply (``text`` is what the host says), ignore (say nothing) or block (hide the comment and
    consider muting its author). ``reason`` says why a comment was ignored or blocked; ``product_id`` is the
    product a reply is about."""

    intent: Intent
    action: Action
    text: str | None = None
    product_id: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, str | None]:
        """The contract's JSON shape: ``{"intent", "action", "text"}``."""
        return {"intent": str(self.intent), "action": self.action, "text": self.text}
