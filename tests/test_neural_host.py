"""The neural host: a pack built from a reference video, painted by the real inference service on random Wav2Lip
weights. Silent frames are the source frames, speaking frames change only inside the face box and leave no seam,
an interrupted utterance never shows, a starved host falls back to the photo host by itself, and health says which
renderer, model and device paint the host."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import run_cli
from media_probe import probe
from neural_weights import write_wav2lip
from test_avatar_photo import draw_portrait

from streamer.avatar import HostPose, Idle
from streamer.avatar.host import HostFrame
from streamer.avatar.neural.build import build_pack
from streamer.avatar.neural.client import InferenceClient
from streamer.avatar.neural.host import NeuralHost
from streamer.avatar.neural.pack import load_pack, pingpong
from streamer.avatar.photo import EDGE_FEATHER, PhotoHost
from streamer.brief import load_brief
from streamer.errors import StreamerError
from streamer.scene import SceneRenderer
from streamer.scene.state import FrameState, Speaking, Upcoming
from streamer.scene.window import LOOK_AHEAD_S
from streamer.tts.base import SAMPLE_RATE

HEIGHT = 300  # the host box: the 600 px tall reference video is scaled down
FPS = 30
PACK_FPS = 25
PACK_FRAMES = 30
AHEAD = round(LOOK_AHEAD_S * FPS)  # frames the scene's render window prepares ahead
WAIT_S = 120.0  # a file render waits for every face; on this loaded CI machine, longer than the product's 30 s
REST = np.zeros(5, np.float32)


@pytest.fixture(scope="module")
def neural_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Random Wav2Lip weights in the released layout, and a private inference service socket (the client starts
    the service on first use; it is stopped when the module ends)."""
    root = tmp_path_factory.mktemp("neural")
    models = root / "models"
    write_wav2lip(models)
    env = {"STREAMER_MODELS_DIR": str(models), "STREAMER_INFERENCE_SOCKET": str(root / "inference.sock"),
           "STREAMER_INFERENCE_IDLE_S": "60", "STREAMER_INFERENCE_DEVICE": "cpu"}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        yield root
        if (root / "inference.sock").exists():
            try:
                with InferenceClient(spawn=False) as client:
                    pid = int(str(client.stats()["pid"]))
                os.kill(pid, signal.SIGTERM)
            except (StreamerError, OSError):  # already gone (it exits when idle): nothing to stop
                pass


@pytest.fixture(scope="module")
def pack_dir(neural_env: Path) -> Path:
    """A pack built by `streamer avatars build`'s builder from a 1.2 s reference video whose face sways."""
    base = draw_portrait()
    video = neural_env / "reference.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("libx264", rate=PACK_FPS)
        stream.width, stream.height, stream.pix_fmt = base.shape[1], base.shape[0], "yuv420p"
        for k in range(PACK_FRAMES):
            img = np.roll(base, int(round(4 * np.sin(k / 4))), axis=1)
            for pkt in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(pkt)
        for pkt in stream.encode():
            container.mux(pkt)
    return build_pack(video, "wav2lip", neural_env / "pack", neural_env / "models", device="cpu")


def voice(seconds: float, pitch_hz: float, seed: int) -> np.ndarray:
    """A voiced-sounding signal at the session rate: a buzz whose loudness comes and goes like syllables."""
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    buzz = np.sign(np.sin(2 * np.pi * pitch_hz * t)) * 0.2 + np.random.default_rng(seed).normal(0, 0.05, n)
    return (buzz * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def speaking(pcm: np.ndarray, start_s: float = 0.0) -> Speaking:
    return Speaking("hello there", start_s, pcm, ())


def draw(host: NeuralHost | PhotoHost, k: int, sp: Speaking | None, mouth: np.ndarray = REST,
         ahead: int = AHEAD) -> np.ndarray:
    """Frame ``k`` as the scene draws it: the render window first tells the host about it and the ``ahead - 1``
    frames after it (the same utterance playing over them), then the frame is drawn."""
    host.prepare([HostFrame(j, j / FPS, sp) for j in range(k, k + ahead)])
    frame = np.zeros((host.size[1], host.size[0], 3), np.uint8)
    host.draw(frame, 0, 0, HostPose(mouth, idle=Idle(0, 0, 0, 0), index=k, t=k / FPS, speaking=sp))
    return frame


def source(pack_dir: Path, k: int) -> tuple[np.ndarray, int]:
    """The source frame on air at frame ``k`` (ping-pong idle loop), scaled into the host box, and its index."""
    pack = load_pack(pack_dir)
    i = pingpong(int(k / FPS * PACK_FPS), PACK_FRAMES)
    h, w = pack.frames.shape[1:3]
    size = (round(w * HEIGHT / h), HEIGHT)
    return cv2.resize(np.asarray(pack.frames[i]), size, interpolation=cv2.INTER_AREA), i


def opaque(img: np.ndarray) -> np.ndarray:
    """The part of the host box inside its feathered top and side borders."""
    r = max(2, int(EDGE_FEATHER * HEIGHT))
    return img[r:, r:-r]


def face_box(pack_dir: Path, i: int, pad: int = 0) -> tuple[int, int, int, int]:
    """Pack frame ``i``'s face box in host-box pixels."""
    s = HEIGHT / load_pack(pack_dir).frames.shape[1]
    x0, y0, x1, y1 = (int(v) for v in load_pack(pack_dir).boxes[i])
    return (int(np.floor(x0 * s)) - pad, int(np.floor(y0 * s)) - pad, int(np.ceil(x1 * s)) + pad,
            int(np.ceil(y1 * s)) + pad)


def test_silent_frames_are_the_source_frames_scaled(pack_dir: Path) -> None:
    host = NeuralHost(pack_dir, HEIGHT, FPS)
    try:
        shown = []
        for k in (0, 11, 50):  # frame 50 is on the loop's way back (pack frame 41 -> 2 * 29 - 41 = 17)
            expected, i = source(pack_dir, k)
            shown.append(i)
            assert np.array_equal(opaque(draw(host, k, None)), opaque(expected))
        assert shown == [0, 9, 17]
        assert not np.array_equal(source(pack_dir, 0)[0], source(pack_dir, 11)[0])  # the video really moves
    finally:
        host.close()


def test_speaking_frames_change_only_inside_the_face_box(pack_dir: Path) -> None:
    host = NeuralHost(pack_dir, HEIGHT, FPS, live=False, wait_s=WAIT_S)
    sp = speaking(voice(1.0, 180, 1))
    try:
        for k in range(3):
            out = draw(host, k, sp, ahead=3)
            expected, i = source(pack_dir, k)
            changed = np.zeros(out.shape[:2], bool)
            opaque(changed)[:] = np.any(opaque(out) != opaque(expected), axis=2)
            x0, y0, x1, y1 = face_box(pack_dir, i, pad=2)  # resampling spreads a change by a pixel
            inside = changed[y0:y1, x0:x1].sum()
            changed[y0:y1, x0:x1] = False
            assert changed.sum() == 0
            assert inside > 0.05 * (x1 - x0) * (y1 - y0)  # the network repainted the lower face
        assert host.health()["frames_painted"] == 3 and host.health()["frames_idle_starved"] == 0
    finally:
        host.close()


def test_the_pasted_face_leaves_no_seam_at_the_box_edge(pack_dir: Path) -> None:
    host = NeuralHost(pack_dir, HEIGHT, FPS, live=False, wait_s=WAIT_S)
    try:
        out = draw(host, 0, speaking(voice(1.0, 180, 1)), ahead=2).astype(np.float32)
        src = source(pack_dir, 0)[0].astype(np.float32)
        x0, y0, x1, y1 = face_box(pack_dir, 0)
        assert np.abs(out - src)[y0:y1, x0:x1].max() > 40  # a face was pasted, and it differs from the source
        # the step from just outside each edge to just inside it is the source's own step: no edge to see
        for outside, inside in [((slice(y0 - 2, y0 - 1), slice(x0, x1)), (slice(y0 + 1, y0 + 2), slice(x0, x1))),
                                ((slice(y1 + 1, y1 + 2), slice(x0, x1)), (slice(y1 - 2, y1 - 1), slice(x0, x1))),
                                ((slice(y0, y1), slice(x0 - 2, x0 - 1)), (slice(y0, y1), slice(x0 + 1, x0 + 2))),
                                ((slice(y0, y1), slice(x1 + 1, x1 + 2)), (slice(y0, y1), slice(x1 - 2, x1 - 1)))]:
            step_out = np.abs(out[inside] - out[outside]).mean()
            step_src = np.abs(src[inside] - src[outside]).mean()
            assert abs(step_out - step_src) < 0.5
    finally:
        host.close()


def test_an_interrupted_utterance_never_shows_again(pack_dir: Path) -> None:
    first, second = voice(2.0, 140, 1), voice(2.0, 260, 2)
    interrupted = NeuralHost(pack_dir, HEIGHT, FPS, live=False, wait_s=WAIT_S)
    fresh = NeuralHost(pack_dir, HEIGHT, FPS, live=False, wait_s=WAIT_S)
    old_voice = NeuralHost(pack_dir, HEIGHT, FPS, live=False, wait_s=WAIT_S)
    try:
        for k in range(3):  # the first utterance plays, with its next 0.2 s submitted
            draw(interrupted, k, speaking(first), ahead=6)
        assert np.array_equal(opaque(draw(interrupted, 3, None, ahead=6)), opaque(source(pack_dir, 3)[0]))  # silence
        later = speaking(second, 4 / FPS)
        after = [draw(interrupted, k, later, ahead=6) for k in (4, 5)]
        own = [draw(fresh, k, later, ahead=6) for k in (4, 5)]  # a host that never heard the first utterance
        old = [draw(old_voice, k, speaking(first, 4 / FPS), ahead=6) for k in (4, 5)]  # the first one's faces then
        for a, b, c in zip(after, own, old, strict=True):
            assert np.abs(a.astype(int) - b).max() <= 2
            assert np.abs(b.astype(int) - c).mean() > 0.05  # the two voices paint different mouths
        assert interrupted.health()["frames_painted"] == 5
    finally:
        for host in (interrupted, fresh, old_voice):
            host.close()


def test_a_starved_host_shows_idle_frames_then_falls_back_to_the_photo_host(pack_dir: Path) -> None:
    # a face is asked for the moment its frame is due and never waited for: every speaking frame starves
    host = NeuralHost(pack_dir, HEIGHT, FPS, wait_s=0.0)
    sp = speaking(voice(5.0, 180, 3))
    try:
        k = 0
        while host.health()["fallback"] is None and k < 5 * FPS:
            assert np.array_equal(opaque(draw(host, k, sp, ahead=1)), opaque(source(pack_dir, k)[0]))
            k += 1
        health = host.health()
        assert k == 3 * FPS  # judged over the last 3 s of speaking frames
        assert str(health["fallback"]).startswith("starved")
        assert health["frames_idle_starved"] == 3 * FPS and health["frames_painted"] == 0
        pack = load_pack(pack_dir)
        photo = PhotoHost(pack_dir, pack.photo_manifest(), HEIGHT)
        mouth = np.array([0.8, 1, 0, 0, 0], np.float32)
        assert np.array_equal(draw(host, k, sp, mouth), draw(photo, k, sp, mouth))  # the portrait's mouth opens
        assert not np.array_equal(draw(photo, k, sp, mouth), draw(photo, k, sp))
    finally:
        host.close()


def test_a_file_render_whose_face_does_not_come_back_falls_back_at_once(pack_dir: Path) -> None:
    host = NeuralHost(pack_dir, HEIGHT, FPS, live=False, wait_s=0.0)  # no face is ever back in no time
    try:
        assert np.array_equal(opaque(draw(host, 0, speaking(voice(1.0, 180, 1)))), opaque(source(pack_dir, 0)[0]))
        assert str(host.health()["fallback"]).startswith("no face came back")
        assert host.health()["frames_idle_starved"] == 1
    finally:
        host.close()


def test_an_unreachable_service_falls_back_at_once(pack_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "not-a-dir").write_text("")
    monkeypatch.setenv("STREAMER_INFERENCE_SOCKET", str(tmp_path / "not-a-dir" / "inference.sock"))
    host = NeuralHost(pack_dir, HEIGHT, FPS)
    photo = PhotoHost(pack_dir, load_pack(pack_dir).photo_manifest(), HEIGHT)
    assert str(host.health()["fallback"]).startswith("inference service unavailable")
    assert np.array_equal(draw(host, 0, speaking(voice(1.0, 180, 1))), draw(photo, 0, None))


def test_health_names_the_renderer_model_and_device(pack_dir: Path) -> None:
    host = NeuralHost(pack_dir, HEIGHT, FPS)
    try:
        assert host.health() == {"renderer": "neural", "model": "wav2lip", "device": "cpu", "frames_painted": 0,
                                 "frames_idle_starved": 0, "fallback": None}
    finally:
        host.close()


def test_the_scene_prepares_a_neural_host_for_each_frames_utterance(pack_dir: Path, garden_brief: Path) -> None:
    scene = SceneRenderer(load_brief(garden_brief), (320, 180), FPS, avatar=str(pack_dir), live=False)
    sp = speaking(voice(1.0, 180, 1))

    async def play() -> None:
        for k in range(2):
            await scene.prepare(Upcoming(k, ((0, sp),)))
            scene.render(FrameState(k, k / FPS, sp, None))
        await scene.prepare(Upcoming(2))  # interrupted
        scene.render(FrameState(2, 2 / FPS, None, None))

    try:
        asyncio.run(play())
        health = scene.health()
        assert (health["renderer"], health["frames_painted"], health["fallback"]) == ("neural", 2, None)
    finally:
        scene.close()


def test_a_live_host_paints_an_utterances_first_frame_asked_for_while_the_frames_before_it_aired(
        pack_dir: Path, garden_brief: Path) -> None:
    scene = SceneRenderer(load_brief(garden_brief), (320, 180), FPS, avatar=str(pack_dir), live=True)
    first = AHEAD // 2  # the utterance starts while the window is on its way
    sp = speaking(voice(1.0, 180, 1), first / FPS)
    announced = Upcoming(0, ((first * SAMPLE_RATE // FPS, sp),))

    async def play() -> dict[str, object]:
        for k in range(first):
            await scene.prepare(dataclasses.replace(announced, frame=k))
            scene.render(FrameState(k, k / FPS, None, None))
        # the service keeps up: the faces asked for ahead are painted before the utterance airs
        with InferenceClient(spawn=False) as client:
            for _ in range(600):
                if not any(client.stats()["in_flight"].values()):  # type: ignore[attr-defined]
                    break
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)  # and back over the socket
        await scene.prepare(dataclasses.replace(announced, frame=first))
        scene.render(FrameState(first, first / FPS, sp, None))
        return scene.health()

    try:
        health = asyncio.run(play())
        assert (health["frames_painted"], health["frames_idle_starved"], health["fallback"]) == (1, 0, None)
    finally:
        scene.close()


def test_the_drawn_host_reports_itself_as_a_sprite(garden_brief: Path) -> None:
    assert SceneRenderer(load_brief(garden_brief), (320, 180), FPS).health() == {"renderer": "sprite"}


@pytest.mark.slow
def test_streamer_run_with_a_neural_pack_renders_and_names_it_in_stats(pack_dir: Path, garden_brief: Path,
                                                                        tmp_path: Path) -> None:
    out = tmp_path / "neural.mp4"
    r = run_cli("run", str(garden_brief), "--out", str(out), "--duration", "2", "--size", "320x180",
                "--avatar", str(pack_dir), "--stats", timeout=280)
    assert r.returncode == 0, r.stderr
    assert probe(out).frames == 2 * FPS
    renderer = json.loads(r.stdout)["renderer"]
    assert (renderer["renderer"], renderer["model"], renderer["device"]) == ("neural", "wav2lip", "cpu")
