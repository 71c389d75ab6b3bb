"""Benchmark the neural host's models and its whole per-frame path; prints one JSON document, one entry per model.

For each model: frames per second and ms per batch at each batch size through ``LipModel.infer`` (the call the
inference service batches every stream's frames into), peak memory (CUDA: ``torch.cuda.max_memory_allocated``;
CPU: growth of the process's peak RSS), and how many 25 fps streams one device sustains through the whole path:
audio features, model, blending the painted face into the frame, H.264 encode. Each stage is timed per frame (the
model at its best batch size) and the streams figure is derived from those costs; the JSON says how.

Weights: the released files under ``STREAMER_MODELS_DIR`` (default ``models/``) when they are there, else random
weights in the released layout and formats (tests/neural_weights.py) in a temp dir, reported as
``weights: "random"`` (speed does not depend on the values; quality does). On CPU MuseTalk defaults to the small
random configuration (``--musetalk-size small``), since the full UNet takes seconds a frame there.

    python scripts/bench_neural.py                                  # CPU, small settings, a couple of minutes
    python scripts/bench_neural.py --device cuda --out bench.json   # fp16 on the GPU, batches 1/4/16/32
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.bench_render import encode_ms  # noqa: E402
from streamer.avatar.blend import Sprite, over  # noqa: E402
from streamer.avatar.neural.models import MODEL_KINDS, load_model, models_dir  # noqa: E402
from streamer.errors import ConfigError  # noqa: E402
from streamer.scene.layout import load_scene  # noqa: E402

FPS = 25  # the streams figure is for 25 fps streams
PACK_FRAMES = 16  # at most this many distinct cached pack inputs for the batches to draw from
RELEASED = {"wav2lip": ("wav2lip/wav2lip.pth", "wav2lip/wav2lip_gan.pth"), "musetalk": ("musetalkV15/unet.pth",)}
DERIVATION = (
    "stage_ms_per_frame: audio_features = one utterance's features / its frames; model = ms_per_batch / batch at "
    "the batch size with the most frames/s; blend = scale the source frame into the scene's host box, paste the "
    "painted crop into its face box through the feathered mask and composite the box into the stream frame; encode = libx264 (preset "
    "veryfast, one thread) of those frames at frame_size. One stream costs 25 x stage_ms per second of air. The "
    "service runs audio features and the model for every stream of the machine, one after the other: service_bound "
    "= floor(1000 / (25 x (audio_features + model))). Each session blends and encodes its own frames in its own "
    "process: session_bound = floor(cpu_cores x 1000 / (25 x (blend + encode))). On cuda streams_25fps = "
    "min(service_bound, session_bound). On cpu every stage shares the same cores: streams_25fps = "
    "floor(1000 / (25 x sum of all stages)), the streams one set of `threads` torch threads carries.")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--models", default=",".join(MODEL_KINDS), help="comma-separated: wav2lip,musetalk")
    p.add_argument("--batches", default="1,4,16,32", help="batch sizes, comma-separated")
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per batch size (and per stage)")
    p.add_argument("--size", default="1280x720", help="stream frame size for blending and encoding")
    p.add_argument("--musetalk-size", choices=("full", "small"), help="random MuseTalk configuration "
                   "(default: full on cuda, small on cpu); ignored with released weights")
    p.add_argument("--out", help="also write the JSON here")
    args = p.parse_args(argv)
    try:
        kinds = _names(args.models, MODEL_KINDS, "--models")
        batches = [int(b) for b in args.batches.split(",") if b.strip()]
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError as e:
        p.error(str(e))
    if not batches or min(batches) < 1 or args.seconds <= 0:
        p.error("--batches must be positive integers and --seconds positive")
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("bench_neural: --device cuda, but torch sees no CUDA device "
              f"(torch {torch.__version__}, CUDA build {torch.version.cuda})", file=sys.stderr)
        return 2
    small = (args.musetalk_size or ("full" if args.device == "cuda" else "small")) == "small"
    report: dict[str, Any] = {
        "device": args.device, "device_name": _device_name(args.device), "torch": torch.__version__,
        "threads": torch.get_num_threads(), "cpu_cores": os.cpu_count(), "frame_size": f"{w}x{h}", "fps": FPS,
        "seconds_per_measure": args.seconds, "derivation": DERIVATION, "models": {}}
    with tempfile.TemporaryDirectory(prefix="bench-neural-") as tmp:
        for kind in kinds:
            report["models"][kind] = bench_model(kind, args.device, batches, args.seconds, (w, h), small, Path(tmp))
            _free(args.device)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


def bench_model(kind: str, device: str, batches: list[int], seconds: float, size: tuple[int, int], small: bool,
                tmp: Path) -> dict[str, Any]:
    import torch

    weights_dir, weights = _weights(kind, tmp, small)
    rss0 = _rss_mb()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    model = load_model(kind, weights_dir, device)
    s = model.face_size
    crops = _faces(min(PACK_FRAMES, max(batches)), s)  # encoding them (MuseTalk: the VAE) is build-time work
    inputs = model.to_device(model.encode_crops(crops))
    pcm = _speech(max(seconds, 1.0))
    n_frames = int(pcm.size / 16_000 * FPS)
    features_ms, feats = _timed(lambda: model.audio_features(pcm, FPS, n_frames), seconds, device)
    rows = []
    for b in batches:
        pick = torch.arange(b, device=inputs.device) % inputs.shape[0]
        items, audio = inputs[pick], feats[torch.arange(b, device=feats.device) % feats.shape[0]]
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        ms, painted = _timed(lambda items=items, audio=audio: model.infer(items, audio), seconds, device)
        rows.append({"batch": b, "ms_per_batch": round(ms, 3), "frames_per_s": round(b * 1000 / ms, 1),
                     "peak_memory_mb": _peak_mb(device, rss0)})
    best = max(rows, key=lambda r: r["frames_per_s"])
    blend_ms, frames = _blend(painted[0], size, seconds)
    stages = {"audio_features": features_ms / n_frames, "model": best["ms_per_batch"] / best["batch"],
              "blend": blend_ms, "encode": encode_ms(frames, FPS)}
    out: dict[str, Any] = {
        "weights": weights, "weights_dir": str(weights_dir) if weights == "released" else None,
        "musetalk_config": ("small" if small else "full") if kind == "musetalk" and weights == "random" else None,
        "dtype": str(inputs.dtype).removeprefix("torch."), "face_size": s, "batches": rows,
        "best_batch": best["batch"], "memory": "cuda max_memory_allocated" if device == "cuda" else
        "peak RSS growth since before the model loaded (cumulative)",
        "stage_ms_per_frame": {k: round(v, 3) for k, v in stages.items()}}
    out.update(_streams(stages, device))
    return out


def _streams(stages: dict[str, float], device: str) -> dict[str, Any]:
    """The 25 fps streams one device carries, from per-frame stage costs (see DERIVATION)."""
    cores = os.cpu_count() or 1
    service_bound = math.floor(1000 / (FPS * (stages["audio_features"] + stages["model"])))
    session_bound = math.floor(cores * 1000 / (FPS * (stages["blend"] + stages["encode"])))
    whole = math.floor(1000 / (FPS * sum(stages.values())))
    streams = min(service_bound, session_bound) if device == "cuda" else whole
    return {"streams_25fps": streams, "service_bound": service_bound, "session_bound": session_bound,
            "whole_path_one_core_set": whole, "per_stream_ms_per_s": round(FPS * sum(stages.values()), 1)}


def _weights(kind: str, tmp: Path, small: bool) -> tuple[Path, str]:
    """The released files when present under STREAMER_MODELS_DIR, else random ones in the released layout."""
    released = models_dir()
    if any((released / name).is_file() for name in RELEASED[kind]):
        return released, "released"
    builders = _neural_weights()
    target = tmp / kind
    if kind == "wav2lip":
        builders.write_wav2lip(target)
    else:
        builders.write_musetalk(target, small=small)
    return target, "random"


def _neural_weights() -> ModuleType:
    """tests/neural_weights.py: the random-weight builders the tests use (imported by path: tests is no package)."""
    path = ROOT / "tests" / "neural_weights.py"
    if str(path.parent) not in sys.path:  # it imports its sibling wav2lip_reference.py
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("neural_weights", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ConfigError(f"{path} is missing: it builds the random weights the benchmark uses without real ones")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _timed(fn: Any, seconds: float, device: str) -> tuple[float, Any]:
    """Mean ms of ``fn()`` over at least ``seconds`` (at least 3 runs) after one warm-up; and its last result."""
    import torch

    result = fn()
    runs, t0 = 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - t0 < seconds:
        result = fn()
        if device == "cuda":
            torch.cuda.synchronize()
        runs += 1
    return (time.perf_counter() - t0) * 1000 / runs, result


def _blend(crop: np.ndarray, size: tuple[int, int], seconds: float) -> tuple[float, list[np.ndarray]]:
    """ms per frame to put a painted face on air as NeuralHost does: scale the source frame into the scene's host
    box, resize the face into its (scaled) face box through the feathered mask, composite the box into the frame.
    Returns the cost and the frames made (the encode stage encodes them)."""
    w, h = size
    src_h, src_w = 720, 540  # a 720p reference video, cropped to a seated host
    src = np.asarray(cv2.GaussianBlur(np.random.default_rng(1).integers(0, 255, (src_h, src_w, 3), np.uint8),
                                      (0, 0), 3))
    lower = np.zeros((crop.shape[0], crop.shape[1]), np.float32)
    lower[crop.shape[0] // 2:] = 1.0
    mask = np.asarray(cv2.GaussianBlur(lower, (0, 0), crop.shape[0] / 12), np.float32)
    lay = load_scene(None).layout(w, h)
    host_h = int(round((lay.photo_host or lay.host).height * h))
    scale = host_h / src_h
    host_w = int(round(src_w * scale))
    x0, y0, x1, y1 = (int(round(v * scale)) for v in (170, 120, 370, 320))  # a 200 px face in the source
    alpha = np.full((host_h, host_w, 3), 255, np.uint8)
    stage = np.full((h, w, 3), 90, np.uint8)
    frames: list[np.ndarray] = []
    runs, t0 = 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - t0 < seconds:
        out = cv2.resize(src, (host_w, host_h), interpolation=cv2.INTER_LINEAR)
        face = cv2.resize(crop, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        m = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)[..., None]
        region = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = (region + (face - region) * m + 0.5).astype(np.uint8)
        frame = stage.copy()
        over(frame, Sprite(cv2.multiply(out, alpha, scale=1 / 255.0), 255 - alpha, alpha[..., 0]),
             max(0, (w - host_w) // 2), max(0, h - host_h))
        if len(frames) < 2 * FPS:
            frames.append(frame)
        runs += 1
    return (time.perf_counter() - t0) * 1000 / runs, frames


def _faces(n: int, s: int) -> np.ndarray:
    """``n`` smooth face-sized RGB crops (the values do not change the cost)."""
    rng = np.random.default_rng(0)
    return np.stack([cv2.GaussianBlur(rng.integers(0, 255, (s, s, 3), np.uint8), (0, 0), 2) for _ in range(n)])


def _speech(seconds: float) -> np.ndarray:
    """Speech-like 16 kHz mono float32: a voiced tone with syllable-rate amplitude changes and a little noise."""
    t = np.arange(int(seconds * 16_000)) / 16_000
    x = 0.3 * np.sin(2 * np.pi * 160 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
    return (x + 0.01 * np.random.default_rng(2).standard_normal(t.size)).astype(np.float32)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb(device: str, rss0: float) -> float:
    import torch

    if device == "cuda":
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return round(max(0.0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss0), 1)


def _free(device: str) -> None:
    import gc

    import torch

    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


def _device_name(device: str) -> str:
    import torch

    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return platform.processor() or platform.machine()


def _names(text: str, allowed: tuple[str, ...], flag: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise ValueError(f"{flag}: {', '.join(bad) or 'nothing'}; expected some of {', '.join(allowed)}")
    return names


if __name__ == "__main__":
    sys.exit(main())
