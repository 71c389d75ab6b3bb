"""Replies to viewers: the offline rule-and-retrieval `Responder`, the streaming `LLMResponder` that falls back to
it, and the `ReplyGuard` every reply passes.

    decision = Responder(brief).respond(comment)   # Decision(intent, action "reply"|"ignore"|"block", text)
    async for sentence in LLMResponder(brief, backend).sentences(comment): ...
"""

from .decision import Action, Decision
from .guard import ReplyGuard
from .knowledge import Knowledge
from .llm import ChatBackend, LLMResponder
from .offline import Responder, speakable_name

__all__ = ["Action", "ChatBackend", "Decision", "Knowledge", "LLMResponder", "ReplyGuard", "Responder",
           "speakable_name"]
