"""create_tts: --voice ENGINE:VOICE to an engine chain; every bad name is refused before a stream starts."""

from __future__ import annotations

import pytest

from streamer.errors import ConfigError
from streamer.tts import FallbackTTS, create_tts, edge, espeak, openai, piper


@pytest.mark.parametrize("voice", ["espeak:xx-nope", "piper:missing.onnx", "bogus:foo", "edge:Xiaoxiao", "openai:"])
def test_bad_voices_are_config_errors_on_one_line(voice: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_TTS_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError) as err:
        create_tts(voice, "en")
    assert "\n" not in str(err.value)


def test_unknown_engine_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="piper, espeak, edge, openai"):
        create_tts("bogus:foo", "zh")


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ConfigError, match="zh or en"):
        create_tts(None, "fr")


def _names(tts: FallbackTTS) -> list[type]:
    return [type(e) for e in tts.engines]


def test_defaults_per_language() -> None:
    en, zh = create_tts(None, "en"), create_tts(None, "zh-CN")
    assert isinstance(en, FallbackTTS) and _names(en) == [piper.TTS, espeak.TTS]
    assert isinstance(zh, FallbackTTS) and _names(zh) == [edge.TTS, espeak.TTS]
    assert zh.engines[1].name == "espeak:cmn-latn-pinyin"


def test_an_explicit_engine_gets_espeak_as_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMER_TTS_BASE_URL", "http://127.0.0.1:9/v1")
    chain = create_tts("openai:alloy", "zh")
    assert isinstance(chain, FallbackTTS) and _names(chain) == [openai.TTS, espeak.TTS]
    assert _names(create_tts("espeak:en-us", "en")) == [espeak.TTS]  # espeak needs no fallback to itself
    assert create_tts("piper:joe", "en").engines[0].name == "piper:joe"
