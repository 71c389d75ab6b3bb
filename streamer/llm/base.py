"""The chat-model interface every LLM backend implements, with retries in one place.

A backend implements ``_stream`` (an async generator of text pieces) and may override ``_complete`` when it has a
cheaper non-streaming call. Callers use ``complete`` and ``stream``: ``complete`` retries retryable failures with
backoff; ``stream`` retries only until the first piece has gone out (after that a retry would repeat words).
Failures are ``EngineError`` with ``retryable`` set by the backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import EngineError

log = logging.getLogger(__name__)

RETRY_BASE_S = 0.2


@dataclass(frozen=True, slots=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


class ChatModel(ABC):
    """A chat model: messages in, text out (whole or streamed)."""

    name = "chat"

    def __init__(self, *, retries: int = 2) -> None:
        self.retries = retries

    @abstractmethod
    def _stream(self, messages: Sequence[Message], *, temperature: float,
                max_tokens: int | None) -> AsyncGenerator[str, None]:
        """Text pieces as the model produces them."""

    async def _complete(self, messages: Sequence[Message], *, temperature: float, max_tokens: int | None) -> str:
        return "".join([piece async for piece in self._stream(messages, temperature=temperature,
                                                               max_tokens=max_tokens)])

    async def complete(self, messages: Sequence[Message], *, temperature: float = 0.7,
                       max_tokens: int | None = None) -> str:
        for attempt in range(self.retries + 1):
            try:
                return await self._complete(messages, temperature=temperature, max_tokens=max_tokens)
            except EngineError as e:
                if not e.retryable or attempt == self.retries:
                    raise
                log.info("%s: %s; retrying", self.name, e)
                await asyncio.sleep(RETRY_BASE_S * 2 ** attempt)
        raise AssertionError("unreachable")

    async def stream(self, messages: Sequence[Message], *, temperature: float = 0.7,
                     max_tokens: int | None = None) -> AsyncIterator[str]:
        for attempt in range(self.retries + 1):
            sent = False
            try:
                # aclosing: when our caller stops early (an interrupt, a timeout) the model call is closed now,
                # not whenever the garbage collector finalizes the inner generator
                async with contextlib.aclosing(self._stream(messages, temperature=temperature,
                                                            max_tokens=max_tokens)) as pieces:
                    async for piece in pieces:
                        sent = True
                        yield piece
                return
            except EngineError as e:
                if sent or not e.retryable or attempt == self.retries:
                    raise
                log.info("%s: %s; retrying", self.name, e)
                await asyncio.sleep(RETRY_BASE_S * 2 ** attempt)
