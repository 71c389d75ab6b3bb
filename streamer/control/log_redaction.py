"""API tokens never reach a log line: the service masks them in every record, whoever logs it.

Browsers pass the token in the URL (``/ws?token=st_...``, the MJPEG ``<img>``), and uvicorn logs that URL: the
access log for HTTP, its error logger for each WebSocket handshake. A filter on one logger misses the others (and
loggers configured later), so `install` wraps the log record factory: every record made in this process has
``token=...``, ``Bearer ...`` and anything shaped like a token (``st_`` and its secret) masked, in its message and
its arguments, before any handler formats it. The arguments stay arguments where masking them is enough (uvicorn's
access formatter reads them); otherwise the record carries the masked, formatted line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

MASK = "***"
# a value starting with % is a format placeholder of the message (its argument is masked on its own)
_PATTERNS = (
    (re.compile(r"((?:^|[?&\s\"'])token=)[^&\s\"'%][^&\s\"']*"), rf"\1{MASK}"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',%][^\s\"',]*"), rf"\1{MASK}"),
    (re.compile(r"\bst_[A-Za-z0-9_\-]{6,}"), f"st_{MASK}"),
)
_installed: Callable[..., logging.LogRecord] | None = None


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_arg(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def install() -> None:
    """Mask tokens in every log record from now on (idempotent)."""
    global _installed
    current = logging.getLogRecordFactory()
    if current is _installed:
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        try:
            formatted = record.getMessage()
        except Exception:  # a bad format is the logging module's to report when a handler formats it
            return record
        clean = redact(formatted)
        if clean != formatted:  # a token that only the message and its arguments make together ("Bearer %s")
            record.msg, record.args = clean, ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = factory
