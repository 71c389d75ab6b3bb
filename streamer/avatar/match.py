"""Does the voice fit the face? The host pack says who it presents (``presents``, ``languages`` in its manifest); the
voice's name says who speaks (piper's ``joe`` is a man, edge's ``zh-CN-Xiaoxiao`` a woman, espeak-ng's voices are
male unless a ``+f`` variant is asked for) and in which language. A mismatch (a woman's face with a man's voice, a
host or a voice for another language than the brief's) is a warning, never an error: the stream still goes on air.

    check = match_host("default", "piper:joe", "en")
    check.warnings   # ["host 'default' presents as female but the voice piper:joe is male: ..."]
    check.health()   # {"avatar": "default", "presents": "female", "voice": "piper:joe", ..., "warnings": [...]}

What is not known (an OpenAI-compatible server's voice names, a pack without ``presents``) is not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import ConfigError
from .pack import available, read_manifest, resolve

Presents = Literal["female", "male"]

# piper voices by speaker (the middle of lang_REGION-speaker-quality): the ones rhasspy publishes most
_PIPER: dict[str, Presents] = {
    **dict.fromkeys(("amy", "lessac", "kathleen", "ljspeech", "kristin", "hfc_female", "jenny_dioco", "alba",
                     "southern_english_female", "cori", "huayan", "siwis", "eva_k", "kerstin"), "female"),
    **dict.fromkeys(("joe", "ryan", "danny", "alan", "john", "norman", "bryce", "kusal", "hfc_male", "sam",
                     "northern_english_male", "arctic", "thorsten", "gilles"), "male"),
}
# edge-tts neural voices: zh-CN names starting Xiao are women's, Yun men's; English names by the usual reading
_EDGE_EN: dict[str, Presents] = {
    **dict.fromkeys(("aria", "jenny", "emma", "ava", "michelle", "ana", "sonia", "libby", "maisie", "natasha",
                     "clara", "sara", "nancy", "amber", "ashley", "cora", "elizabeth", "jane", "monica", "molly",
                     "emily", "neerja", "leah", "yan", "rosa"), "female"),
    **dict.fromkeys(("guy", "davis", "andrew", "brian", "christopher", "eric", "roger", "steffan", "ryan", "thomas",
                     "william", "liam", "tony", "jason", "brandon", "connor", "mitchell", "prabhat", "sam", "luke",
                     "ken", "wayne", "chilemba", "elimu"), "male"),
}
_EDGE_NAME = re.compile(r"^(?P<lang>[a-z]{2,3})-[A-Z]{2,}-(?P<who>.+?)(?:Multilingual)?Neural$")
_PIPER_NAME = re.compile(r"^(?P<lang>[a-z]{2,3})_[A-Z]{2}-(?P<who>.+)-(?:x_low|low|medium|high)$")


@dataclass(frozen=True)
class Voice:
    """Who a voice sounds like, as far as its name tells: None where it does not."""

    name: str
    presents: Presents | None
    language: str | None  # zh | en | another ISO 639 code


def describe_voice(name: str) -> Voice:
    """``engine:voice`` (a TTS engine's ``name``) to who it sounds like."""
    engine, _, voice = name.partition(":")
    engine = engine.lower()
    if engine == "piper":
        stem = Path(voice).name.removesuffix(".onnx")
        if stem in ("", "joe"):
            return Voice(name, "male", "en")  # the bundled en_US-joe-medium
        m = _PIPER_NAME.match(stem)
        if m is None:
            return Voice(name, None, None)
        return Voice(name, _PIPER.get(m["who"].lower()), _language(m["lang"]))
    if engine in ("espeak", "espeak-ng"):
        base, _, variant = voice.lower().partition("+")
        female = variant.startswith("f") or "female" in variant
        return Voice(name, "female" if female else "male", _language(base.split("-")[0]))
    if engine in ("edge", "edge-tts"):
        m = _EDGE_NAME.match(voice)
        if m is None:
            return Voice(name, None, None)
        lang, who = _language(m["lang"]), m["who"]
        presents: Presents | None
        if lang == "zh":
            presents = "female" if who.startswith("Xiao") else "male" if who.startswith("Yun") else None
        else:
            presents = _EDGE_EN.get(who.lower())
        return Voice(name, presents, lang)
    return Voice(name, None, None)


def _language(code: str) -> str:
    code = code.lower()
    return "zh" if code in ("zh", "cmn", "yue") else code


@dataclass(frozen=True)
class HostMatch:
    """The host on screen, the voice it speaks with, and what does not fit."""

    avatar: str
    presents: Presents | None
    languages: tuple[str, ...]
    voice: Voice
    warnings: list[str] = field(default_factory=list)

    def health(self) -> dict[str, object]:
        return {"avatar": self.avatar, "presents": self.presents, "languages": list(self.languages),
                "voice": self.voice.name, "voice_presents": self.voice.presents,
                "voice_language": self.voice.language, "warnings": list(self.warnings)}


def match_host(avatar: str | None, voice: str, language: str) -> HostMatch:
    """Check the pack ``avatar`` names (None: the default) against the voice ``voice`` for a brief in ``language``
    (zh | en). The pack is assumed valid (the scene has loaded it)."""
    pack_dir = resolve(avatar)
    m = read_manifest(pack_dir)
    v = describe_voice(voice)
    name = m.name or pack_dir.name
    warnings = []
    if m.presents is not None and v.presents is not None and m.presents != v.presents:
        others = [n for n in available() if n != pack_dir.name and _presents(n) == v.presents]
        fix = f"--avatar {others[0]}" if others else f"a {v.presents} host"
        warnings.append(f"host {name!r} presents as {m.presents} but the voice {v.name} is {v.presents}: "
                        f"use {fix}, or a {m.presents} voice")
    if m.languages and language not in m.languages:
        warnings.append(f"host {name!r} is made for {', '.join(m.languages)}, but the brief is in {language}")
    if v.language is not None and v.language != language:
        warnings.append(f"the voice {v.name} speaks {v.language}, but the brief is in {language}")
    return HostMatch(name, m.presents, tuple(m.languages), v, warnings)


def _presents(pack: str) -> str | None:
    try:
        return read_manifest(resolve(pack)).presents
    except ConfigError:  # a broken pack elsewhere in the folder is not this session's problem
        return None
