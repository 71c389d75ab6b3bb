"""The project's error hierarchy.

StreamerError                 anything the user can cause or fix; the CLI prints one line, never a traceback
 ├── BriefError               a brief that is missing, unreadable or invalid (names the field)
 ├── ConfigError              a bad option: unknown voice, bad size, unknown avatar
 ├── OutputError              an output that cannot be opened (unwritable path, bad URL)
 └── EngineError              a TTS/LLM/model engine failed; ``retryable`` says whether trying again may help
"""

from __future__ import annotations


class StreamerError(Exception):
    """Base class: a problem with a clear one-line explanation for the user."""


class BriefError(StreamerError):
    pass


class ConfigError(StreamerError):
    pass


class OutputError(StreamerError):
    pass


class EngineError(StreamerError):
    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
