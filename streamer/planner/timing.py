"""How long a sentence takes to say, splitting sentences that are too long for one breath, and the show's clock.

Reply latency depends on sentence length: the session can only cut in at a sentence boundary, so every script line
should be at most ``MAX_SENTENCE_S`` of speech. Rates are typical live-selling pace, not TTS measurements.
The planner adds up these estimates to know the clock time of each line (``ShowClock``): a show that starts at
23:50 says 晚上好 for ten minutes and then speaks to the night owls. A live show starts at ``show_start``: the real
clock in the stream's time zone, or a clock time given on purpose (``CLOCK_ENV``, ``streamer run --start``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZH_SYLLABLES_PER_S = 4.5   # Mandarin live-selling pace: 4-5 characters a second
EN_WORDS_PER_S = 2.8       # about 170 words a minute, a brisk selling pace
PAUSE_S = 0.15             # a comma or colon
MAX_SENTENCE_S = 6.0

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*")
_PAUSE = re.compile(r"[，,、：:；;—]")
_SPLIT_AT = re.compile(r"(?<=[，,；;])\s*")
_HH_MM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
CLOCK_ENV = "STREAMER_SHOW_CLOCK"  # HH:MM: live shows start at this clock time, not the real one (replays, tests)


def _number_units(num: str, language: str) -> float:
    whole, _, frac = num.replace(",", "").partition(".")
    if language == "zh":  # 159 = 一百五十九: about two syllables a digit
        return max(1, 2 * len(whole) - 1) + (1 + len(frac) if frac else 0)
    return max(1, -(-len(whole) * 2 // 3)) + (1 + -(-len(frac) // 2) if frac else 0)  # 24.99 = twenty-four ninety-nine


def estimate_seconds(text: str, language: str) -> float:
    """Rough speaking time of ``text`` in seconds."""
    numbers = sum(_number_units(n, language) for n in _NUMBER.findall(text))
    plain = _NUMBER.sub(" ", text)
    pauses = len(_PAUSE.findall(text)) * PAUSE_S
    if language == "zh":
        units = len(_CJK.findall(plain)) + 2 * len(_LATIN_WORD.findall(plain)) + numbers
        return round(units / ZH_SYLLABLES_PER_S + pauses, 2)
    units = len(_LATIN_WORD.findall(plain)) + numbers + len(_CJK.findall(plain)) / 2
    return round(units / EN_WORDS_PER_S + pauses, 2)


def _end(text: str, language: str) -> str:
    text = text.rstrip("，,；; ")
    if text and text[-1] not in "。！？.!?":
        text += "。" if language == "zh" else "."
    return text


def split_long(text: str, language: str, max_s: float = MAX_SENTENCE_S) -> list[str]:
    """``text`` as sentences of at most ``max_s`` each, cut at the clause boundary nearest the middle.

    A clause that is still too long (no comma to cut at) is kept whole: a long sentence beats a broken one.
    """
    if estimate_seconds(text, language) <= max_s:
        return [text]
    parts = [p for p in _SPLIT_AT.split(text) if p.strip()]
    if len(parts) < 2:
        return [text]
    half = estimate_seconds(text, language) / 2
    best, acc = 1, 0.0
    for i, part in enumerate(parts[:-1], start=1):
        acc += estimate_seconds(part, language)
        if acc >= half:
            best = i
            break
        best = i
    head = "".join(parts[:best]) if language == "zh" else " ".join(parts[:best])
    tail = "".join(parts[best:]) if language == "zh" else " ".join(parts[best:])
    tail = tail[:1].upper() + tail[1:] if language == "en" else tail
    return split_long(_end(head, language), language, max_s) + split_long(tail, language, max_s)


class Daypart(StrEnum):
    MORNING = "morning"      # 05:00-11:00 早上
    NOON = "noon"            # 11:00-13:00 中午
    AFTERNOON = "afternoon"  # 13:00-18:00 下午
    EVENING = "evening"      # 18:00-23:00 晚上
    NIGHT = "night"          # 23:00-05:00 深夜


def daypart_of(hour: int) -> Daypart:
    if 5 <= hour < 11:
        return Daypart.MORNING
    if 11 <= hour < 13:
        return Daypart.NOON
    if 13 <= hour < 18:
        return Daypart.AFTERNOON
    if 18 <= hour < 23:
        return Daypart.EVENING
    return Daypart.NIGHT


@dataclass(frozen=True, slots=True)
class ShowClock:
    """Clock time of the show: ``start`` (None when unknown: no line then speaks of the time of day)."""

    start: datetime | None = None

    def at(self, elapsed_s: float) -> datetime | None:
        return None if self.start is None else self.start + timedelta(seconds=elapsed_s)

    def daypart(self, elapsed_s: float) -> Daypart | None:
        now = self.at(elapsed_s)
        return None if now is None else daypart_of(now.hour)


def show_start(tz: str | None = None, clock: str | None = None, *, now: datetime | None = None) -> datetime:
    """The clock time a live show starts at: now in ``tz`` (an IANA zone; None or unknown: the machine's local
    zone), or today at ``clock`` (HH:MM) in that zone. Raises ValueError for a ``clock`` that is not HH:MM."""
    try:
        zone = ZoneInfo(tz) if tz else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    current = (now or datetime.now(zone)).astimezone(zone)
    if not clock:
        return current
    m = _HH_MM.fullmatch(clock.strip())
    if m is None:
        raise ValueError(f"{clock!r}: expected a time of day HH:MM, e.g. 20:30")
    return current.replace(hour=int(m[1]), minute=int(m[2]), second=0, microsecond=0)
