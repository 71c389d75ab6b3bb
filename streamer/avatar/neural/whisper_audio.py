"""MuseTalk's audio input: whisper-tiny encoder states cut into one window per video frame.

MuseTalk 1.5 conditions its UNet on every hidden state of the whisper-tiny encoder (the embedding output and each
layer's, stacked), at whisper's 50 tokens a second. Each video frame sees the tokens from 2 frames before it to 2
after (2 tokens per 25 fps frame, so 10 tokens), zero-padded at the ends, flattened to 50 tokens of 384 and given
MuseTalk's sinusoidal positional encoding. Whisper reads 30 s mel segments, so longer utterances are encoded in
several segments, batched together.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import ConfigError

SAMPLE_RATE = 16_000
TOKENS_PER_S = 50  # whisper encoder positions per second of audio
SEGMENT_S = 30  # whisper's fixed input length
PAD_LEFT_FRAMES = 2  # MuseTalk's audio_padding_length_left
PAD_RIGHT_FRAMES = 2  # MuseTalk's audio_padding_length_right
TOKENS_PER_FRAME = 2 * (PAD_LEFT_FRAMES + PAD_RIGHT_FRAMES + 1)  # whisper tokens in one frame's window (10)


def window_starts(fps: float, n_frames: int) -> list[int]:
    """Index of each frame's first token in the left-padded token sequence (MuseTalk's floor(frame * 50 / fps)).

    MuseTalk truncates fps to an integer first; the true rate is kept here so 29.97 fps does not drift."""
    step = TOKENS_PER_S / fps
    return [math.floor(frame * step) for frame in range(n_frames)]


def left_pad_tokens(fps: float) -> int:
    """Zero tokens put before the audio so the first frame's window reaches 2 frames back."""
    return math.ceil(TOKENS_PER_S / fps) * PAD_LEFT_FRAMES


def frame_windows(states: torch.Tensor, fps: float, n_frames: int) -> torch.Tensor:
    """(T, L, D) encoder states at 50/s (T tokens, L stacked hidden states) -> (n_frames, 10 * L, D) windows.

    Frames past the end of the audio see zeros, as MuseTalk's right padding gives them."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    starts = window_starts(fps, n_frames)
    left = left_pad_tokens(fps)
    needed = (starts[-1] + TOKENS_PER_FRAME if starts else 0) - left - states.shape[0]
    right = max(needed, 0)
    padded = torch.cat([states.new_zeros((left, *states.shape[1:])), states,
                        states.new_zeros((right, *states.shape[1:]))])
    index = torch.tensor(starts, dtype=torch.long, device=states.device)[:, None] + torch.arange(TOKENS_PER_FRAME, device=states.device)
    windows = padded[index]  # (n, 10, L, D)
    return windows.reshape(n_frames, TOKENS_PER_FRAME * states.shape[1], states.shape[2])


def positional_encoding(length: int, width: int) -> torch.Tensor:
    """MuseTalk's sinusoidal encoding (sin on even channels, cos on odd), (length, width) float32."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    table = torch.zeros(length, width)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)
    return table


class WhisperAudio:
    """The whisper-tiny encoder and its feature extractor, loaded from a released ``whisper/`` directory."""

    def __init__(self, extractor: Any, encoder: Any, device: str, dtype: torch.dtype) -> None:
        self.extractor = extractor
        self.encoder = encoder
        self.device = device
        self.dtype = dtype

    @classmethod
    def load(cls, whisper_dir: Path, device: str, dtype: torch.dtype) -> WhisperAudio:
        from transformers import WhisperFeatureExtractor, WhisperModel

        for name, what in (("config.json", "whisper-tiny's config"),
                           ("preprocessor_config.json", "whisper-tiny's feature extractor config")):
            if not (whisper_dir / name).is_file():
                raise ConfigError(f"{whisper_dir / name} is missing: put {what} there (openai/whisper-tiny)")
        if not any((whisper_dir / name).is_file() for name in ("pytorch_model.bin", "model.safetensors")):
            raise ConfigError(f"{whisper_dir / 'pytorch_model.bin'} is missing: put whisper-tiny's weights there "
                              "(pytorch_model.bin or model.safetensors from openai/whisper-tiny)")
        try:
            extractor = WhisperFeatureExtractor.from_pretrained(str(whisper_dir))
            model = WhisperModel.from_pretrained(str(whisper_dir))
        except Exception as exc:  # whatever a wrong or damaged file raises, the user is told which file it is
            raise ConfigError(f"{whisper_dir}: not a whisper-tiny model directory ({' '.join(str(exc).split())[:300]})") from exc
        encoder = model.get_encoder().to(device=device, dtype=dtype).eval()
        return cls(extractor, encoder, device, dtype)

    @torch.inference_mode()
    def encoder_states(self, pcm16k: np.ndarray) -> torch.Tensor:
        """Mono 16 kHz audio -> (T, L, D) stacked encoder hidden states, T = floor(seconds * 50)."""
        pcm = np.asarray(pcm16k, dtype=np.float32).reshape(-1)
        audible = pcm if len(pcm) else np.zeros(1, np.float32)  # the extractor needs a sample; none are kept
        segment = SEGMENT_S * SAMPLE_RATE
        segments = [audible[i:i + segment] for i in range(0, len(audible), segment)]
        mel = self.extractor(segments, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
        out = self.encoder(mel.to(device=self.device, dtype=self.dtype), output_hidden_states=True)
        states = torch.stack(out.hidden_states, dim=2)  # (segments, 1500, L, D)
        states = states.reshape(-1, *states.shape[2:])
        return states[: math.floor(len(pcm) / SAMPLE_RATE * TOKENS_PER_S)]

    def features(self, pcm16k: np.ndarray, fps: float, n_frames: int) -> torch.Tensor:
        """One utterance -> (n_frames, 50, 384) positionally encoded windows on the device, in the model dtype."""
        windows = frame_windows(self.encoder_states(pcm16k), fps, n_frames)
        encoding = positional_encoding(windows.shape[1], windows.shape[2]).to(windows.device)
        return (windows.float() + encoding).to(self.dtype)
