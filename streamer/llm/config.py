"""Which LLM to use: a pydantic config (from options or environment) and the factory that builds the backend."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field

from ..errors import ConfigError
from .base import ChatModel

ENV_PREFIX = "STREAMER_LLM_"


class LLMConfig(BaseModel):
    """``backend``: "openai" (any OpenAI-compatible endpoint), "transformers" (a local folder) or "none"."""

    backend: Literal["openai", "transformers", "none"] = "none"
    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = Field(default="", description="model name for the endpoint, or a folder for transformers")
    api_key: str | None = Field(default=None, repr=False)
    timeout_s: float = Field(default=30.0, gt=0)
    temperature: float = Field(default=0.8, ge=0, le=2)
    max_tokens: int = Field(default=1200, gt=0)
    device: str = "auto"
    # live replies: past this the offline answer is said (a reply must be on air well under 3 s)
    first_sentence_timeout_s: float = Field(default=1.5, gt=0, le=30)
    breaker_failures: int = Field(default=3, ge=1, le=100, description="timeouts/errors in a row that open it")
    breaker_cooldown_s: float = Field(default=30.0, gt=0, le=3600, description="no model calls for this long")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> LLMConfig:
        """STREAMER_LLM_<FIELD> for every field (_BACKEND, _BASE_URL, _MODEL, _API_KEY or OPENAI_API_KEY,
        _TIMEOUT_S, _FIRST_SENTENCE_TIMEOUT_S, _BREAKER_FAILURES, _BREAKER_COOLDOWN_S, ...); ``overrides`` that are
        not None win."""
        env = os.environ if env is None else env
        data: dict[str, object] = {}
        for field in cls.model_fields:
            value = env.get(ENV_PREFIX + field.upper())
            if value:
                data[field] = value
        if "api_key" not in data and env.get("OPENAI_API_KEY"):
            data["api_key"] = env["OPENAI_API_KEY"]
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(data)


def create_chat(config: LLMConfig) -> ChatModel | None:
    """The backend ``config`` asks for; None for "none" (callers then use templates)."""
    if config.backend == "none":
        return None
    if not config.model:
        raise ConfigError(f"LLM backend {config.backend!r} needs a model (STREAMER_LLM_MODEL or --llm-model)")
    if config.backend == "openai":
        from .openai_compat import OpenAIChat

        return OpenAIChat(config.base_url, config.model, config.api_key, timeout_s=config.timeout_s)
    from .transformers_local import TransformersChat

    return TransformersChat(config.model, device=config.device)
