"""Text to speech: engines that turn a sentence into audio chunks with phoneme or word timings.

Engines, one module each, all ``TTS`` subclasses of ``streamer.tts.base.TTS``:

    piper    offline neural English (bundled voice ``joe``), exact IPA phoneme marks     streamer.tts.piper.TTS
    espeak   offline espeak-ng, Chinese and English, estimated IPA / pinyin marks       streamer.tts.espeak.TTS
    edge     online Microsoft neural voices (edge-tts), word marks                      streamer.tts.edge.TTS
    openai   any OpenAI-compatible /audio/speech server, no marks                       streamer.tts.openai.TTS

``create_tts(voice, language)`` builds what a session speaks with from the CLI's ``--voice ENGINE:VOICE``, always
wrapped in a ``FallbackTTS`` ending in espeak-ng, so a dead service never silences the host.
"""

from __future__ import annotations

from streamer.errors import ConfigError
from streamer.tts.base import CHUNK_MAX_S, SAMPLE_RATE, TTS, Mark, SpeechChunk, SynthesisMetrics
from streamer.tts.fallback import DEFAULT_TIMEOUT_S, FallbackTTS

__all__ = [
    "CHUNK_MAX_S",
    "ENGINES",
    "SAMPLE_RATE",
    "TTS",
    "FallbackTTS",
    "Mark",
    "SpeechChunk",
    "SynthesisMetrics",
    "create_tts",
    "normalize_language",
]

ENGINES = ("piper", "espeak", "edge", "openai")
_VOICE_HELP = "piper:joe, piper:models/NAME.onnx, espeak:cmn, espeak:en-us, edge:zh-CN-XiaoxiaoNeural, openai:VOICE"


def normalize_language(language: str) -> str:
    """'zh', 'zh-CN', 'cmn' -> 'zh'; 'en', 'en-US' -> 'en'."""
    lang = language.strip().lower().replace("_", "-")
    if lang in ("zh", "cmn", "chinese") or lang.startswith(("zh-", "cmn-")):
        return "zh"
    if lang in ("en", "english") or lang.startswith("en-"):
        return "en"
    raise ConfigError(f"unsupported language {language!r}: use zh or en")


def create_tts(voice: str | None, language: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> TTS:
    """The TTS for ``--voice ENGINE:VOICE`` (or the language's default when None), with espeak-ng as fallback.

    Defaults: English -> piper (joe) then espeak-ng en-us; Chinese -> edge-tts (zh-CN-XiaoxiaoNeural) then espeak-ng
    Mandarin. Every name is checked here, before any stream starts; a bad one raises ConfigError.
    """
    from streamer.tts import espeak

    lang = normalize_language(language)
    if voice is None or not voice.strip():
        primary = _default_engine(lang)
    else:
        primary = _engine_from_flag(voice.strip(), lang)
    if isinstance(primary, espeak.TTS):
        return FallbackTTS([primary], timeout_s=timeout_s)
    last_resort = espeak.TTS(espeak.DEFAULT_VOICES[lang])
    return FallbackTTS([primary, last_resort], timeout_s=timeout_s)


def _default_engine(lang: str) -> TTS:
    if lang == "en":
        from streamer.tts import piper

        return piper.TTS()
    from streamer.tts import edge

    return edge.TTS(edge.DEFAULT_VOICES["zh"])


def _engine_from_flag(flag: str, lang: str) -> TTS:
    engine, _, name = flag.partition(":")
    engine, name = engine.strip().lower(), name.strip()
    if engine == "piper":
        from streamer.tts import piper

        return piper.TTS(name or None)
    if engine in ("espeak", "espeak-ng"):
        from streamer.tts import espeak

        return espeak.TTS(name or espeak.DEFAULT_VOICES[lang])
    if engine in ("edge", "edge-tts"):
        from streamer.tts import edge

        return edge.TTS(name or edge.DEFAULT_VOICES[lang])
    if engine == "openai":
        from streamer.tts import openai

        return openai.TTS(name)
    raise ConfigError(f"unknown voice {flag!r}: use ENGINE:VOICE with ENGINE one of {', '.join(ENGINES)} "
                      f"(e.g. {_VOICE_HELP})")
