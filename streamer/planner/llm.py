"""LLM planner: the same show as the template planner, with each product's block written by a chat model.

For every product the model writes a few versions of the block (hook ... call to action) as JSON. Each answer is
validated (``validate.check_block``); a failing answer goes back to the model with the problems listed, up to
``max_attempts`` times. A version that never passes is replaced by templates, and when the model is unreachable the
whole show falls back to templates: the stream never stops for the LLM. Welcome, transitions and hero recaps stay
template-made, so the loop structure (rotation, hero weighting) is the same as the template planner's.
"""

from __future__ import annotations

import logging
import random

from ..brief import Brief
from ..errors import EngineError
from ..llm import ChatModel, Message
from . import prompts
from .prepare import SpeakableProduct
from .rundown import Rundown, Segment
from .template import TemplatePlanner
from .validate import check_block

log = logging.getLogger(__name__)

MAX_FEEDBACK_ITEMS = 12  # a model fixes a short list better than a long one


class LLMPlanner(TemplatePlanner):
    """Call ``await generate()`` (or ``await aplan(loops)``) before taking loops; without it, this is templates."""

    name = "llm"

    def __init__(self, brief: Brief, chat: ChatModel, seed: int = 0, *, variants: int = 3, max_attempts: int = 3,
                 temperature: float = 0.8, max_tokens: int = 1200, stream: bool = False) -> None:
        super().__init__(brief, seed)
        self.chat = chat
        self.variants = variants
        self.max_attempts = max_attempts
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.use_stream = stream
        self.blocks: dict[str, list[list[Segment]]] = {}
        self.notes: list[str] = []
        self.requests = 0

    async def generate(self, variants: int | None = None) -> None:
        """Ask the model for ``variants`` versions of every product's block; stops at the first engine failure."""
        for p in self.products:
            for v in range(variants or self.variants):
                try:
                    block = await self._write_block(p, v)
                except EngineError as e:
                    self.notes.append(f"LLM unavailable ({e}); the rest of the show uses templates")
                    log.warning("LLM planner falls back to templates: %s", e)
                    return
                if block is not None:
                    self.blocks.setdefault(p.id, []).append(block)

    async def aplan(self, loops: int) -> Rundown:
        await self.generate(min(self.variants, loops))
        return self.plan(loops)

    def plan(self, loops: int) -> Rundown:
        rundown = super().plan(loops)
        planner = "llm" if self.blocks else "template (llm fallback)"
        return rundown.model_copy(update={"planner": planner, "notes": self.notes + rundown.notes})

    # --- generation -----------------------------------------------------------------------------------------

    async def _ask(self, messages: list[Message]) -> str:
        self.requests += 1
        if self.use_stream:
            return "".join([piece async for piece in self.chat.stream(
                messages, temperature=self.temperature, max_tokens=self.max_tokens)])
        return await self.chat.complete(messages, temperature=self.temperature, max_tokens=self.max_tokens)

    async def _write_block(self, p: SpeakableProduct, variant: int) -> list[Segment] | None:
        messages = prompts.messages(self.brief, p, variant)
        problems: list[str] = []
        for attempt in range(1, self.max_attempts + 1):
            answer = await self._ask(messages)
            checked = check_block(answer, self.brief, p, self.guards)
            if checked.ok:
                return checked.segments
            problems = checked.problems
            log.info("LLM block for %s v%d, attempt %d: %d problem(s)", p.id, variant + 1, attempt, len(problems))
            messages = messages + [Message("assistant", answer),
                                   prompts.feedback(problems[:MAX_FEEDBACK_ITEMS], self.language)]
        self.notes.append(f"{p.id} version {variant + 1}: still invalid after {self.max_attempts} attempts "
                          f"({'; '.join(problems[:3])}); templates used instead")
        return None

    # --- loops ----------------------------------------------------------------------------------------------

    def _body(self, p: SpeakableProduct, loop: int, rng: random.Random) -> list[Segment]:
        blocks = self.blocks.get(p.id)
        if not blocks:
            return super()._body(p, loop, rng)
        # Each version is used once per cycle, with a cycle of template loops in between, so that an all-day
        # stream does not replay the few LLM versions back to back.
        k = len(blocks)
        if (loop // k) % 2 == 1:
            return super()._body(p, loop, rng)
        return [seg.model_copy(deep=True) for seg in blocks[loop % k]]
