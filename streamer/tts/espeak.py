"""espeak-ng: the always-there offline voice (formant synthesis; robotic but instant), Chinese and English.

Runs Debian's ``espeak-ng`` binary, one short-lived process per sentence (text on stdin), which
writes the WAV to stdout and, through ``--ipa --phonout=/dev/stderr``, the IPA it spoke to stderr, one line per
clause. Sentences are synthesised one at a time, so a long text starts playing after its first sentence.

Timings: the command line reports no phoneme times, so they are estimated (``streamer.tts.timing``): the phonemes
are spread over the voiced parts of the audio, one clause per pause, weighted vowels 2 : consonants 1. English marks
are espeak's IPA segments. Chinese marks are pinyin syllables with tone number ('ni3') from ``pypinyin``, one per
character, after numbers are spelled out in characters (``zh_text``) so espeak and the syllable count read the same
text (English voices get ``en_text``'s fixes for prices, times and units); Latin words inside Chinese become one mark each. Limits: within a clause timing is proportional, not measured
(tens of ms off); pypinyin can pick the wrong reading of a polyphonic character (the mouth shape rarely cares).

Voices: ``zh``/``cmn`` map to espeak's ``cmn-latn-pinyin`` because Debian's espeak-ng 1.51 plain ``cmn`` voice reads
the dictionary's pinyin spellings with English letter rules ("ni3" comes out as "nee three").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import shutil
import subprocess
from collections.abc import AsyncIterator

from streamer.errors import ConfigError, EngineError
from streamer.sentences import sentences
from streamer.tts import base, en_text, timing, zh_text
from streamer.tts.base import SpeechChunk
from streamer.tts.wav import read_wav

BINARY = "espeak-ng"
PROCESS_TIMEOUT_S = 20.0  # a sentence takes tens of ms; this only catches a wedged process
REAP_TIMEOUT_S = 5.0  # a SIGKILLed process is gone in well under this
DEFAULT_VOICES = {"en": "en-us", "zh": "cmn-latn-pinyin"}
_ALIASES = {"zh": "cmn-latn-pinyin", "cmn": "cmn-latn-pinyin", "zh-cn": "cmn-latn-pinyin",
            "zh-cmn": "cmn-latn-pinyin", "mandarin": "cmn-latn-pinyin", "en": "en-us"}
_LANG_SWITCH = re.compile(r"\([a-z]{2,3}(?:-[a-z0-9]+)*\)", re.IGNORECASE)  # espeak's "(en)" ... "(cmn)" tags


@functools.cache
def installed_voices(binary: str = BINARY) -> frozenset[str]:
    """Names espeak-ng accepts for -v: language codes and voice file names (lower case)."""
    if shutil.which(binary) is None:
        raise ConfigError(f"{binary} is not installed (apt-get install espeak-ng)")
    out = subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=10, check=False).stdout
    names: set[str] = set()
    for line in out.splitlines()[1:]:  # Pty Language Age/Gender VoiceName File Other
        cols = line.split()
        if len(cols) >= 5:
            names.add(cols[1].lower())
            names.add(cols[4].lower())
            names.add(cols[4].rsplit("/", 1)[-1].lower())
    return frozenset(names)


def resolve_voice(voice: str | None, binary: str = BINARY) -> str:
    """Check a voice name against the installed voices; ``+variant`` suffixes (en-us+f3) are kept."""
    voice = (voice or DEFAULT_VOICES["en"]).strip()
    base_name, plus, variant = voice.partition("+")
    base_name = _ALIASES.get(base_name.lower(), base_name.lower())
    known = installed_voices(binary)
    if base_name not in known:
        examples = ", ".join(sorted({"zh", "cmn", "en-us", "en-gb", "yue"} & (known | {"zh", "cmn"})))
        raise ConfigError(f"unknown espeak-ng voice {voice!r}: try {examples} (all: espeak-ng --voices)")
    return base_name + plus + variant


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    # Started on the loop's thread on purpose: the spawn takes a millisecond, and a process started in a worker
    # thread could outlive a cancellation that arrives before the thread hands it back.
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class TTS(base.TTS):
    """espeak-ng voice: ``zh``/``cmn`` (Mandarin), ``en-us``, or any name from ``espeak-ng --voices``."""

    def __init__(self, voice: str | None = None, *, speed_wpm: int = 175, binary: str = BINARY) -> None:
        self.voice = resolve_voice(voice, binary)
        self.name = f"espeak:{self.voice}"
        self.speed_wpm = speed_wpm
        self.binary = binary
        self.mandarin = self.voice.startswith("cmn")
        self.english = self.voice.startswith("en")

    async def warmup(self) -> None:
        if self.mandarin:  # pypinyin and cn2an load on first use (~0.3 s): not during the first sentence
            await asyncio.to_thread(zh_text.pinyin_units, "你好")
            await asyncio.to_thread(zh_text.spoken_zh, "1")

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        if self.mandarin:
            text = zh_text.spoken_zh(text)
        elif self.english:
            text = en_text.spoken_en(text)
        offset_s = 0.0
        for sentence in sentences(text):  # each is spoken as soon as it is ready
            pcm, rate, ipa = await self._run(sentence)
            if self.mandarin:
                clauses = [zh_text.pinyin_units(c) for c in zh_text.clauses(sentence)]
            else:
                clauses = [timing.ipa_units(_LANG_SWITCH.sub("", line)) for line in ipa.splitlines()]
            marks = timing.spread(clauses, timing.voiced_segments(pcm, rate), offset_s)
            yield SpeechChunk(pcm, rate, marks)
            offset_s += pcm.size / rate

    async def _run(self, sentence: str) -> tuple:
        """One espeak-ng process: (mono float32, rate, IPA text).

        The process is a plain ``subprocess.Popen`` driven from a worker thread, not an asyncio subprocess: asyncio
        learns of a child's exit through its child watcher, and under load a killed, already reaped child could
        leave ``await proc.wait()`` pending forever (an interrupt then hung the session). ``Popen.wait`` waits on
        this one pid itself, whatever event loop and child watcher are in use.
        """
        args = [self.binary, "-v", self.voice, "-s", str(self.speed_wpm), "--stdout", "--ipa", "--phonout=/dev/stderr"]
        try:
            proc = _spawn(args)
        except OSError as exc:
            raise EngineError(f"{self.name}: cannot start {self.binary}: {exc}", retryable=False) from exc
        try:
            out, err = await asyncio.to_thread(proc.communicate, sentence.encode() + b"\n", PROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise EngineError(f"{self.name}: espeak-ng did not finish in {PROCESS_TIMEOUT_S:.0f} s") from exc
        finally:
            if proc.poll() is None:  # timed out or interrupted: do not leave the process behind
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):  # never: SIGKILL cannot be ignored
                    await asyncio.to_thread(proc.wait, REAP_TIMEOUT_S)
        if proc.returncode != 0 or not out:
            msg = err.decode(errors="replace").strip()[:200]
            raise EngineError(f"{self.name}: espeak-ng exited {proc.returncode}: {msg}", retryable=False)
        pcm, rate = read_wav(out)
        return pcm, rate, err.decode(errors="replace")
