"""The neural host on the product path: `streamer avatars build` a pack from a reference video, `streamer run` it
through the machine's inference service, and read back what a viewer would see.

Wav2Lip with random weights in the released layout paints the lower face; the service runs on
``STREAMER_TEST_DEVICE`` (default cpu; scripts/gpu_check.sh sets cuda). What a stream must show: valid H.264 + AAC;
the source video's frames, untouched, whenever the host is silent; a repainted mouth while it speaks, blended with
no seam at the crop border; two sessions batched together by one service; and a stream whose service stops keeping
up falls back to the photo host without a late frame.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import ROOT, run_cli
from face_video import decode_frames, write_face_video
from media_probe import probe

pytest.importorskip("torch")

from streamer.avatar.neural.client import InferenceClient  # noqa: E402
from streamer.avatar.neural.pack import load_pack, pingpong  # noqa: E402
from streamer.avatar.photo import EDGE_FEATHER  # noqa: E402
from streamer.errors import EngineError  # noqa: E402
from streamer.scene.layout import load_scene  # noqa: E402

DEVICE = os.environ.get("STREAMER_TEST_DEVICE", "cpu")
SIZE = (640, 360)
FPS = 10  # few frames to paint on a CPU; the pack's source video is 25 fps
SOURCE = (480, 360)
SOURCE_FPS = 25
SILENT_RMS = 5e-4  # -66 dBFS: the pause between two sentences
SPEAKING_RMS = 0.02
SILENCE_SPAN = (-0.05, 0.2)  # around a frame's time: the 200 ms of voice a lip-sync network paints it from


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(pack, models dir, reference video): random Wav2Lip weights, and a pack built by the CLI from a 2 s video."""
    from neural_weights import write_wav2lip

    root = tmp_path_factory.mktemp("neural")
    models = root / "models"
    write_wav2lip(models)
    video = write_face_video(root / "reference.mp4", seconds=2.0, fps=SOURCE_FPS, size=SOURCE)
    pack = root / "pack"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STREAMER_MODELS_DIR", str(models))
        r = run_cli("avatars", "build", str(video), "--model", "wav2lip", "--out", str(pack), "--device", DEVICE,
                    timeout=240)
    assert r.returncode == 0, r.stderr
    return pack, models, video


@pytest.fixture
def service_env(built: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The environment of a machine with a neural pack's models: its own inference socket (yielded). Whatever
    service listens there at the end is stopped (the sessions start it detached)."""
    sock = tmp_path_factory.mktemp("sock") / "inference.sock"
    monkeypatch.setenv("STREAMER_MODELS_DIR", str(built[1]))
    monkeypatch.setenv("STREAMER_INFERENCE_SOCKET", str(sock))
    monkeypatch.setenv("STREAMER_INFERENCE_DEVICE", DEVICE)
    monkeypatch.setenv("STREAMER_INFERENCE_IDLE_S", "60")
    yield sock
    with contextlib.suppress(EngineError, OSError):
        with InferenceClient(sock, spawn=False) as client:
            pid = int(client.stats()["pid"])  # type: ignore[call-overload]
        _stop(pid)


def _stop(pid: int) -> None:
    for sig in (signal.SIGCONT, signal.SIGTERM):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


# -- what the viewer sees ------------------------------------------------------------------------------------------

def frame_rms(path: Path, times: list[float], span: tuple[float, float]) -> np.ndarray:
    """RMS of the recorded audio over [t + span[0], t + span[1]) for each video time t."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        rate = stream.codec_context.sample_rate
        chunks, start = [], None
        for f in c.decode(stream):
            if start is None:
                start = float(f.pts * f.time_base)
            x = f.to_ndarray().astype(np.float32)
            channels = len(f.layout.channels)
            chunks.append(x.mean(axis=0) if f.format.is_planar else x.reshape(-1, channels).mean(axis=1))
    audio = np.concatenate(chunks)
    out = []
    for t in times:
        a = max(0, int((t + span[0] - (start or 0.0)) * rate))
        b = max(a + 1, int((t + span[1] - (start or 0.0)) * rate))
        seg = audio[a:b]
        out.append(float(np.sqrt(np.mean(seg * seg))) if seg.size else 0.0)
    return np.array(out)


class HostBox:
    """Where the scene puts a neural host in a SIZE frame: the default scene's photo_host place (a real person's
    picture stands on the desk), the source frame scaled to its height, its top and sides feathered."""

    def __init__(self) -> None:
        w, h = SIZE
        lay = load_scene(None).layout(w, h)
        place = lay.photo_host or lay.host
        self.h = int(round(place.height * h))
        self.scale = self.h / SOURCE[1]
        self.w = max(1, round(SOURCE[0] * self.scale))
        self.x = int(round(place.x * w - self.w / 2))
        self.y = int(round(place.bottom * h - self.h))
        self.inset = max(2, int(EDGE_FEATHER * self.h)) + 3  # the feathered border, and a little

    def interior(self, frame: np.ndarray) -> np.ndarray:
        i = self.inset
        return frame[self.y + i:self.y + self.h, self.x + i:self.x + self.w - i]

    def source(self, src: np.ndarray) -> np.ndarray:
        """The source frame as the scene shows it: scaled to the box (a frame in the box's coordinates)."""
        return cv2.resize(src, (self.w, self.h), interpolation=cv2.INTER_AREA)

    def in_frame(self, box: np.ndarray) -> tuple[int, int, int, int]:
        """A pack face box (x0, y0, x1, y1 in source pixels) in output frame pixels."""
        x0, y0, x1, y1 = (int(round(float(v) * self.scale)) for v in box)
        return self.x + x0, self.y + y0, self.x + x1, self.y + y1


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def mouth(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The lower-middle of a face box: where the network repaints the mouth and chin."""
    x0, y0, x1, y1 = box
    side = x1 - x0
    return frame[y0 + int(0.6 * side):y0 + int(0.85 * side), x0 + int(0.3 * side):x1 - int(0.3 * side)]


def edge_steps(frame: np.ndarray, box: tuple[int, int, int, int], d: int) -> np.ndarray:
    """Mean absolute step between pixel lines d and d + 1 outward from each lower-face edge of the box (left, right,
    bottom); d = 0 is the step across the edge itself."""
    g = frame.astype(np.float32).mean(axis=2)
    x0, y0, x1, y1 = box
    rows = slice(y0 + (y1 - y0) // 2, y1)
    cols = slice(x0 + 4, x1 - 4)
    return np.array([
        np.abs(g[rows, x0 - d] - g[rows, x0 - d - 1]).mean(),
        np.abs(g[rows, x1 - 1 + d] - g[rows, x1 + d]).mean(),
        np.abs(g[y1 - 1 + d, cols] - g[y1 + d, cols]).mean()])


# -- the tests -----------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_rendered_stream_repaints_the_mouth_only_while_speaking(
        built: tuple[Path, Path, Path], service_env: Path, garden_brief: Path, tmp_path: Path) -> None:
    pack_dir, _, video = built
    out = tmp_path / "out.mp4"
    r = run_cli("run", str(garden_brief), "--avatar", str(pack_dir), "--duration", "8", "--out", str(out),
                "--stats", "--size", f"{SIZE[0]}x{SIZE[1]}", "--fps", str(FPS), timeout=240)
    assert r.returncode == 0, r.stderr
    p = probe(out)
    assert p.video_codec == "h264" and p.audio_codec == "aac" and p.frames == 8 * FPS
    health = json.loads(r.stdout)["renderer"]
    assert health["renderer"] == "neural" and health["model"] == "wav2lip" and health["device"] == DEVICE
    assert health["fallback"] is None and health["frames_painted"] > 0

    frames, source, pack = decode_frames(out), decode_frames(video), load_pack(pack_dir)
    times = p.video_pts_s
    silent = frame_rms(out, times, SILENCE_SPAN) < SILENT_RMS
    speaking = frame_rms(out, times, (0.0, 1 / FPS)) > SPEAKING_RMS
    assert silent.sum() >= 2 and speaking.sum() >= 2 * FPS, "the script should speak with a pause between lines"
    host = HostBox()
    changed, psnrs = [], {}
    for k, frame in enumerate(frames):
        i = pingpong(int(times[k] * SOURCE_FPS), len(source))
        expected = frame.copy()
        expected[host.y:host.y + host.h, host.x:host.x + host.w] = host.source(source[i])
        box = host.in_frame(pack.boxes[i])
        changed.append(np.abs(mouth(frame, box).astype(np.float32) - mouth(expected, box)).mean())
        if silent[k]:
            psnrs[k] = round(psnr(host.interior(frame), host.interior(expected)), 1)
    changed_arr = np.array(changed)
    # silent frames (the voice silent around them) are the source frames, as exactly as H.264 allows
    assert min(psnrs.values()) > 35, f"silent frames differ from the source (PSNR dB by frame): {psnrs}"
    assert changed_arr[silent].max() < 4, f"mouths changed while silent: {changed_arr[silent].round(1)}"
    # speaking frames have their mouth repainted (random weights paint something far from the drawn lips)
    assert np.mean(changed_arr[speaking] > 12) > 0.8, f"mouths left as recorded: {changed_arr[speaking].round(1)}"

    # no seam: across the face box's edge the picture steps no more than it does a few pixels either side
    for k in np.flatnonzero(speaking & (changed_arr > 12)):
        i = pingpong(int(times[k] * SOURCE_FPS), len(source))
        box = host.in_frame(pack.boxes[i])
        across = edge_steps(frames[k], box, 0)
        nearby = np.maximum(edge_steps(frames[k], box, 3), edge_steps(frames[k], box, -4))
        assert np.all(across <= 1.5 * nearby + 3), (k, across, nearby)


@pytest.mark.slow
def test_two_sessions_share_one_service_and_their_frames_batch_together(
        built: tuple[Path, Path, Path], service_env: Path, garden_brief: Path, tmp_path: Path) -> None:
    pack_dir = built[0]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    runs = [subprocess.Popen(
        [sys.executable, "-m", "streamer.cli", "run", str(garden_brief), "--avatar", str(pack_dir), "--duration", "4",
         "--out", str(tmp_path / f"s{n}.mp4"), "--stats", "--size", "320x180", "--fps", str(FPS), "--seed", str(n)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(2)]
    results = [proc.communicate(timeout=240) for proc in runs]
    for proc, (stdout, stderr) in zip(runs, results, strict=True):
        assert proc.returncode == 0, stderr
        health = json.loads(stdout)["renderer"]
        assert health["renderer"] == "neural" and health["frames_painted"] > 0
    with InferenceClient(service_env, spawn=False) as client:
        stats = client.stats()
    (model,) = stats["models"].values()  # type: ignore[attr-defined]
    assert model["kind"] == "wav2lip" and model["device"] == DEVICE
    assert model["multi_stream_batches"] > 0, model
    assert max(int(size) for size in model["batch_sizes"]) > 1, model


@pytest.mark.slow
def test_a_stream_whose_service_stops_keeping_up_falls_back_without_a_late_frame(
        built: tuple[Path, Path, Path], service_env: Path, garden_brief: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamer.cli", "run", str(garden_brief), "--avatar", str(built[0]), "--duration", "8",
         "--realtime", "--out", str(tmp_path / "rt.mp4"), "--stats", "--size", "320x180", "--fps", "25"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = None
    try:
        pid = _stream_opened(service_env, proc)
        if pid is not None:
            os.kill(pid, signal.SIGSTOP)  # the device hangs: no face comes back any more
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if pid is not None:
            _stop(pid)  # the fixture cannot ask a stopped service for its pid
    assert proc.returncode == 0, stderr
    stats = json.loads(stdout)
    assert stats["late_frames"] == 0 and stats["frames"] == 8 * 25
    health = stats["renderer"]
    assert health["model"] == "wav2lip" and health["fallback"], health
    assert health["frames_idle_starved"] > 0


def _stream_opened(sock: Path, proc: subprocess.Popen[str]) -> int | None:
    """The service's pid once the session's stream is open there; None if the session ended first."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(EngineError, OSError):
            with InferenceClient(sock, spawn=False) as client:
                stats = client.stats()
            if stats["streams"]:
                return int(stats["pid"])  # type: ignore[call-overload]
        time.sleep(0.05)
    return None
