"""A local Hugging Face ``transformers`` causal LM loaded from a folder (e.g. ``models/qwen2.5-1.5b-instruct``).

torch and transformers are an optional extra (``pip install 'streamer[gpu]'``); they are imported when a model is
loaded, never at package import. Weights are never downloaded: the folder must hold them. Generation runs in a
worker thread so the event loop keeps serving frames.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, EngineError
from .base import ChatModel, Message

INSTALL_HINT = "pip install 'streamer[gpu]' (torch and transformers)"


def _import_transformers() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as e:
        raise ConfigError(f"the local transformers LLM backend needs torch and transformers: {INSTALL_HINT}") from e
    return torch, transformers


class TransformersChat(ChatModel):
    """Chat with a local model; ``device`` is "cpu", "cuda" or "auto" (cuda when available)."""

    name = "transformers"

    def __init__(self, model_path: str | Path, *, device: str = "auto", retries: int = 0) -> None:
        super().__init__(retries=retries)
        self.model_path = Path(model_path)
        if not self.model_path.is_dir():
            raise ConfigError(f"LLM model folder {self.model_path} not found; put the weights under models/")
        torch, transformers = _import_transformers()
        self._torch = torch
        self._transformers = transformers
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_path, local_files_only=True)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(self.model_path, local_files_only=True)
        except (OSError, ValueError) as e:
            raise ConfigError(f"cannot load an LLM from {self.model_path}: {e}") from e
        self.model.to(self.device).eval()
        self._lock = threading.Lock()  # one generate() at a time per model: they would fight over the device

    def _prompt(self, messages: Sequence[Message]) -> str:
        chat = [m.to_dict() for m in messages]
        if getattr(self.tokenizer, "chat_template", None):
            return str(self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True))
        # Base models without a chat template: a plain transcript ending where the assistant speaks.
        return "".join(f"{m['role']}: {m['content']}\n" for m in chat) + "assistant: "

    def _generate(self, messages: Sequence[Message], temperature: float, max_tokens: int | None,
                  streamer: Any = None) -> str:
        inputs = self.tokenizer(self._prompt(messages), return_tensors="pt").to(self.device)
        kwargs: dict[str, Any] = {"max_new_tokens": max_tokens or 512, "streamer": streamer}
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature)
        else:
            kwargs.update(do_sample=False)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        try:
            with self._lock, self._torch.inference_mode():
                out = self.model.generate(**inputs, pad_token_id=pad, **kwargs)
        except RuntimeError as e:  # CUDA out of memory and friends
            raise EngineError(f"local LLM generation failed: {e}", retryable=False) from e
        new = out[0][inputs["input_ids"].shape[1]:]
        return str(self.tokenizer.decode(new, skip_special_tokens=True))

    async def _complete(self, messages: Sequence[Message], *, temperature: float, max_tokens: int | None) -> str:
        return await asyncio.to_thread(self._generate, messages, temperature, max_tokens)

    async def _stream(self, messages: Sequence[Message], *, temperature: float,
                      max_tokens: int | None) -> AsyncGenerator[str, None]:
        streamer = self._transformers.TextIteratorStreamer(self.tokenizer, skip_prompt=True,
                                                           skip_special_tokens=True, timeout=60)
        task = asyncio.ensure_future(asyncio.to_thread(self._generate, messages, temperature, max_tokens, streamer))
        sentinel = object()
        try:
            while True:
                piece = await asyncio.to_thread(next, streamer, sentinel)
                if piece is sentinel:
                    break
                if piece:
                    yield str(piece)
        finally:
            await task  # surfaces generation errors; generation cannot be interrupted mid-way, so wait for it
