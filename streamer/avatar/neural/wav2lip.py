"""Wav2Lip (Prajwal et al., 2020), exactly as released, so the authors' ``wav2lip.pth`` / ``wav2lip_gan.pth`` load.

The network paints the lower half of a 96 px face from 16 mel frames (``mel.py``): a U-Net whose encoder sees the
face with its lower half blacked out next to a reference crop of the same face (6 channels), whose bottleneck is an
audio embedding, and whose decoder is joined to every encoder level. Module names, layer order and tensor shapes
follow the published ``models/wav2lip.py`` and ``models/conv.py``, because a released checkpoint is only a state dict
keyed by them (``module.`` prefixed: it was trained under ``DataParallel``) and must load with ``strict=True``.

Channel order: the authors read every frame with OpenCV, so the network was trained on BGR crops and paints BGR.
``Wav2LipModel`` takes and returns RGB like the rest of the project and flips the channels at its two edges: the
cached pack input (``encode_crops``) is stored in BGR, and ``infer`` flips the painted crops back to RGB.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ...errors import ConfigError
from . import mel as wav2lip_mel

FACE_SIZE = 96
CHECKPOINTS = ("wav2lip.pth", "wav2lip_gan.pth")  # looked for in this order under <models_dir>/wav2lip/
_PREFIX = "module."


class Conv2d(nn.Module):
    """Convolution, batch norm, ReLU; with ``residual`` the block's input is added before the ReLU."""

    def __init__(self, cin: int, cout: int, kernel_size: int, stride: int | tuple[int, int], padding: int,
                 residual: bool = False) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride, padding), nn.BatchNorm2d(cout))
        self.act = nn.ReLU()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        return self.act(out + x if self.residual else out)


class Conv2dTranspose(nn.Module):
    """Transposed convolution (the decoder's upsampling), batch norm, ReLU."""

    def __init__(self, cin: int, cout: int, kernel_size: int, stride: int, padding: int,
                 output_padding: int = 0) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ConvTranspose2d(cin, cout, kernel_size, stride, padding, output_padding), nn.BatchNorm2d(cout))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv_block(x))


def _residuals(channels: int, n: int) -> list[nn.Module]:
    return [Conv2d(channels, channels, 3, 1, 1, residual=True) for _ in range(n)]


def _down(cin: int, cout: int, n_residual: int) -> nn.Sequential:
    """Halve the face's side (stride 2), then refine it with residual blocks."""
    return nn.Sequential(Conv2d(cin, cout, 3, 2, 1), *_residuals(cout, n_residual))


def _up(cin: int, cout: int, n_residual: int, stride: int = 2) -> nn.Sequential:
    """Grow the map (double it; the first level 1 -> 3 px), then refine; ``cin`` counts the encoder skip too."""
    if stride == 1:
        first = Conv2dTranspose(cin, cout, 3, 1, 0)
    else:
        first = Conv2dTranspose(cin, cout, 3, 2, 1, output_padding=1)
    return nn.Sequential(first, *_residuals(cout, n_residual))


class Wav2Lip(nn.Module):
    """The released generator. ``forward(audio_sequences, face_sequences)``:

    - frames as a batch: audio (B, 1, 80, 16), faces (B, 6, 96, 96) -> (B, 3, 96, 96);
    - time-stacked, as in training: audio (B, T, 1, 80, 16), faces (B, 6, T, 96, 96) -> (B, 3, T, 96, 96).

    Faces are BGR in 0..1 (masked crop, then reference crop); the output is BGR in 0..1.
    """

    def __init__(self) -> None:
        super().__init__()
        self.face_encoder_blocks = nn.ModuleList([
            nn.Sequential(Conv2d(6, 16, 7, 1, 3)),  # 96
            _down(16, 32, 2),  # 48
            _down(32, 64, 3),  # 24
            _down(64, 128, 2),  # 12
            _down(128, 256, 2),  # 6
            _down(256, 512, 1),  # 3
            nn.Sequential(Conv2d(512, 512, 3, 1, 0), Conv2d(512, 512, 1, 1, 0)),  # 1
        ])
        # 80 x 16 mel -> 512 x 1 x 1; strides (3, 1), 3, (3, 2) shrink the mel axis faster than time
        self.audio_encoder = nn.Sequential(
            Conv2d(1, 32, 3, 1, 1), *_residuals(32, 2),
            Conv2d(32, 64, 3, (3, 1), 1), *_residuals(64, 2),
            Conv2d(64, 128, 3, 3, 1), *_residuals(128, 2),
            Conv2d(128, 256, 3, (3, 2), 1), *_residuals(256, 1),
            Conv2d(256, 512, 3, 1, 0),
            Conv2d(512, 512, 1, 1, 0),
        )
        self.face_decoder_blocks = nn.ModuleList([
            nn.Sequential(Conv2d(512, 512, 1, 1, 0)),  # 1
            _up(1024, 512, 1, stride=1),  # 3
            _up(1024, 512, 2),  # 6
            _up(768, 384, 2),  # 12
            _up(512, 256, 2),  # 24
            _up(320, 128, 2),  # 48
            _up(160, 64, 2),  # 96
        ])
        self.output_block = nn.Sequential(Conv2d(80, 32, 3, 1, 1), nn.Conv2d(32, 3, 1, 1, 0), nn.Sigmoid())

    def forward(self, audio_sequences: torch.Tensor, face_sequences: torch.Tensor) -> torch.Tensor:
        stacked = face_sequences.dim() > 4
        if stacked:
            batch, channels, steps, height, width = face_sequences.shape
            # time-major: step t of every sequence is rows t*B .. t*B+B-1, as the released code orders them
            audio_sequences = audio_sequences.transpose(0, 1).reshape(-1, *audio_sequences.shape[2:])
            face_sequences = face_sequences.permute(2, 0, 1, 3, 4).reshape(-1, channels, height, width)
        skips = []
        x = face_sequences
        for block in self.face_encoder_blocks:
            x = block(x)
            skips.append(x)
        x = self.audio_encoder(audio_sequences)
        for block, skip in zip(self.face_decoder_blocks, reversed(skips), strict=True):
            x = torch.cat((block(x), skip), dim=1)
        out: torch.Tensor = self.output_block(x)
        if stacked:
            out = out.reshape(steps, batch, *out.shape[1:]).permute(1, 2, 0, 3, 4)
        return out


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The checkpoint's state dict with DataParallel's ``module.`` prefix stripped; ConfigError if it is not one."""
    if not path.is_file():
        raise ConfigError(f"Wav2Lip checkpoint not found: {path} (put the authors' released wav2lip.pth or "
                          "wav2lip_gan.pth there)")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated file, a zip of something else, a pickle with code in it
        raise ConfigError(f"{path} is not a readable PyTorch checkpoint: {exc}") from exc
    state = checkpoint.get("state_dict") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConfigError(f"{path} is not a Wav2Lip checkpoint: it has no 'state_dict' of tensors "
                          "(expected the released {'state_dict': {'module.<name>': tensor}})")
    return {(k[len(_PREFIX):] if k.startswith(_PREFIX) else k): v for k, v in state.items()}


def _mismatches(model: nn.Module, state: dict[str, torch.Tensor]) -> list[str]:
    expected = model.state_dict()
    problems = [f"missing {k}" for k in expected if k not in state]
    problems += [f"unexpected {k}" for k in state if k not in expected]
    problems += [f"{k} has shape {tuple(v.shape)}, expected {tuple(expected[k].shape)}"
                 for k, v in state.items() if k in expected and v.shape != expected[k].shape]
    return problems


def load_wav2lip(path: Path, device: str, dtype: torch.dtype) -> Wav2Lip:
    """A released Wav2Lip checkpoint -> the network in eval mode on ``device`` in ``dtype`` (loaded strictly)."""
    path = Path(path)
    state = _read_state_dict(path)
    model = Wav2Lip()
    problems = _mismatches(model, state)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise ConfigError(f"{path} does not match the released Wav2Lip network: {shown}")
    model.load_state_dict(state, strict=True)
    return model.to(device=device, dtype=dtype).eval()


class Wav2LipModel:
    """Wav2Lip behind the ``LipModel`` protocol (``models.py``): RGB crops in, RGB crops out, 96 px."""

    kind = "wav2lip"
    face_size = FACE_SIZE

    def __init__(self, net: Wav2Lip, device: str, dtype: torch.dtype) -> None:
        self.net = net
        self.device = device
        self.dtype = dtype

    @classmethod
    def load(cls, models_dir: Path, device: str, dtype: torch.dtype | None = None) -> Wav2LipModel:
        """``<models_dir>/wav2lip/wav2lip.pth``, else ``wav2lip_gan.pth``; fp16 on CUDA, fp32 on CPU by default."""
        folder = Path(models_dir) / "wav2lip"
        found = [folder / name for name in CHECKPOINTS if (folder / name).is_file()]
        if not found:
            raise ConfigError(f"no Wav2Lip checkpoint: put the authors' released {CHECKPOINTS[0]} or "
                              f"{CHECKPOINTS[1]} in {folder}/")
        if dtype is None:
            dtype = torch.float16 if device.startswith("cuda") else torch.float32
        return cls(load_wav2lip(found[0], device, dtype), device, dtype)

    def encode_crops(self, crops: np.ndarray) -> np.ndarray:
        """(N, 96, 96, 3) uint8 RGB -> (N, 6, 96, 96) uint8 BGR: lower half blacked out, then the whole crop."""
        if crops.ndim != 4 or crops.shape[1:] != (FACE_SIZE, FACE_SIZE, 3) or crops.dtype != np.uint8:
            raise ValueError(f"Wav2Lip crops must be (N, {FACE_SIZE}, {FACE_SIZE}, 3) uint8, "
                             f"got {crops.shape} {crops.dtype}")
        reference = crops[..., ::-1].transpose(0, 3, 1, 2)
        masked = reference.copy()
        masked[:, :, FACE_SIZE // 2:] = 0
        return np.ascontiguousarray(np.concatenate([masked, reference], axis=1))

    def to_device(self, inputs: np.ndarray) -> torch.Tensor:
        """Cached uint8 inputs -> the network's 0..1 faces on the device in the model dtype (moved as uint8)."""
        return torch.from_numpy(np.ascontiguousarray(inputs)).to(self.device).to(self.dtype).div_(255.0)

    def audio_features(self, pcm16k: np.ndarray, fps: float, n_frames: int) -> torch.Tensor:
        """An utterance's 16 kHz audio -> (n_frames, 1, 80, 16) mel windows on the device."""
        windows = wav2lip_mel.mel_windows(wav2lip_mel.melspectrogram(pcm16k), fps, n_frames)
        return torch.from_numpy(windows).to(device=self.device, dtype=self.dtype)

    def infer(self, inputs: torch.Tensor, audio: torch.Tensor) -> np.ndarray:
        """(B, 6, 96, 96) faces from ``to_device`` + (B, 1, 80, 16) mel windows -> (B, 96, 96, 3) uint8 RGB."""
        if inputs.shape[0] != audio.shape[0]:
            raise ValueError(f"batch of {inputs.shape[0]} faces but {audio.shape[0]} audio windows")
        with torch.inference_mode():
            painted = self.net(audio.to(self.dtype), inputs.to(self.dtype))
            rgb = painted.flip(1).permute(0, 2, 3, 1).float().mul_(255.0).round_().clamp_(0, 255)
            return rgb.to(torch.uint8).cpu().numpy()
