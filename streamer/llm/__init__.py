"""LLM backends shared by the planner and the responder: OpenAI-compatible HTTP, local transformers, or none.

    chat = create_chat(LLMConfig.from_env())      # None when no LLM is configured
    text = await chat.complete([Message("user", "hi")])
    async for piece in chat.stream(messages): ...

Errors are ``EngineError`` (``retryable`` says whether trying again may help); a missing optional dependency or a
bad setting is a ``ConfigError`` that says what to install or set.
"""

from __future__ import annotations

from .base import ChatModel, Message
from .config import LLMConfig, create_chat

__all__ = ["ChatModel", "LLMConfig", "Message", "create_chat"]
