"""The lip-sync model registry: one contract (`LipModel`) for every network that repaints a face from audio.

The service loads a model once per machine through `load_model` and batches every stream's frames through it; the
pack builder uses the same object to cache each frame's model input. Models are read from the files their authors
release, under `models_dir()` (``STREAMER_MODELS_DIR``, default ``models/``). torch is imported lazily here and only
by the model modules, so importing streamer without the ``gpu`` extra still works.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ...errors import ConfigError

if TYPE_CHECKING:
    import torch

MODEL_KINDS = ("wav2lip", "musetalk")
DEVICES = ("auto", "cuda", "cpu")


class LipModel(Protocol):
    kind: str  # "wav2lip" | "musetalk"
    face_size: int  # side of the square face crop the network paints: 96 (wav2lip), 256 (musetalk)
    device: str  # "cuda" | "cpu"

    def encode_crops(self, crops: np.ndarray) -> np.ndarray:
        """Pack build time: (N, S, S, 3) uint8 RGB face crops -> the per-frame cached model input stored in the pack
        (wav2lip: masked + reference crops, uint8 (N, 6, S, S); musetalk: VAE latents of masked + reference crops,
        float16 (N, 8, 32, 32))."""
        ...

    def audio_features(self, pcm16k: np.ndarray, fps: float, n_frames: int) -> torch.Tensor:
        """One utterance's mono float32 16 kHz audio -> per video frame audio input, (n_frames, *audio_shape), on
        the model's device (wav2lip: (n, 1, 80, 16) mel windows; musetalk: (n, 50, 384) whisper windows)."""
        ...

    def infer(self, inputs: torch.Tensor, audio: torch.Tensor) -> np.ndarray:
        """A batch: cached pack inputs (B, ...) on device + audio features (B, ...) -> (B, S, S, 3) uint8 RGB crops."""
        ...

    def to_device(self, inputs: np.ndarray) -> torch.Tensor:
        """pack inputs -> device tensor in the model dtype"""
        ...


def models_dir() -> Path:
    """Where the released model files live: ``STREAMER_MODELS_DIR``, else ``models/`` in the working directory."""
    return Path(os.environ.get("STREAMER_MODELS_DIR") or "models")


def pick_device(choice: str = "auto") -> str:
    """``auto`` -> cuda when torch sees a CUDA device, else cpu; ``cuda`` without one is a ConfigError."""
    if choice not in DEVICES:
        raise ConfigError(f"unknown device {choice!r}; expected one of {', '.join(DEVICES)}")
    if choice == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if choice == "cuda":
        raise ConfigError("device cuda was asked for but torch sees no CUDA device; use auto or cpu")
    return "cpu"


def load_model(kind: str, models_dir: Path, device: str, dtype: torch.dtype | None = None) -> LipModel:
    """Load the `kind` network from its released files in `models_dir` onto `device` (fp16 on CUDA, fp32 on CPU
    unless `dtype` says otherwise). Caches nothing: the inference service keeps one per machine."""
    if kind == "wav2lip":
        from .wav2lip import Wav2LipModel

        return Wav2LipModel.load(models_dir, device, dtype)
    if kind == "musetalk":
        from .musetalk import MuseTalkModel

        return MuseTalkModel.load(models_dir, device, dtype)
    raise ConfigError(f"unknown lip-sync model {kind!r}; expected one of {', '.join(MODEL_KINDS)}")
