"""MuseTalk 1.5 from its released files: the network is the published one, frames follow the audio, windows are
MuseTalk's, and bad model directories say which file is wrong."""

from __future__ import annotations

import json
import math
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from neural_weights import write_musetalk  # noqa: E402
from unet_reference import ReferenceUNet  # noqa: E402

from streamer.avatar.neural.models import load_model  # noqa: E402
from streamer.avatar.neural.musetalk import MuseTalkModel  # noqa: E402
from streamer.avatar.neural.whisper_audio import frame_windows, positional_encoding  # noqa: E402
from streamer.errors import ConfigError  # noqa: E402

RELEASED_FILES = ["musetalkV15/musetalk.json", "musetalkV15/unet.pth", "sd-vae/config.json",
                  "sd-vae/diffusion_pytorch_model.bin", "whisper/config.json", "whisper/pytorch_model.bin",
                  "whisper/preprocessor_config.json"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_musetalk(tmp_path_factory.mktemp("models"), small=True)


@pytest.fixture(scope="module")
def model(models: Path) -> MuseTalkModel:
    loaded = load_model("musetalk", models, "cpu")
    assert isinstance(loaded, MuseTalkModel)
    return loaded


def crops(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 256, 256, 3), dtype=np.uint8)


def voice(seconds: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * 16_000)) / 16_000
    noise = np.random.default_rng(seed).standard_normal(t.shape)
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.05 * noise).astype(np.float32)


def models_with(source: Path, target: Path, changed: str, content: bytes | None) -> Path:
    """A models directory linking to `source`'s files, with `changed` removed (None) or replaced by `content`."""
    for name in RELEASED_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if name != changed:
            (target / name).symlink_to(source / name)
        elif content is not None:
            (target / name).write_bytes(content)
    return target


# the network -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("timestep", [0, 981])
def test_the_unet_agrees_with_an_independent_implementation_of_the_published_network(
        models: Path, model: MuseTalkModel, timestep: int) -> None:
    state = torch.load(models / "musetalkV15/unet.pth", weights_only=True)
    reference = ReferenceUNet(state, json.loads((models / "musetalkV15/musetalk.json").read_text()))
    generator = torch.Generator().manual_seed(timestep)
    latents = torch.randn(2, 8, 32, 32, generator=generator)
    audio = torch.randn(2, 50, 384, generator=generator)
    t = torch.tensor([timestep])
    with torch.inference_mode():
        ours = model.unet(latents, t, encoder_hidden_states=audio).sample
    theirs = reference(latents, t, audio)
    assert ours.shape == (2, 4, 32, 32)
    assert torch.allclose(ours, theirs, atol=1e-4 * float(theirs.abs().max()), rtol=0)


def test_a_batch_paints_256px_rgb_crops(model: MuseTalkModel) -> None:
    inputs = model.to_device(model.encode_crops(crops(2)))
    audio = model.audio_features(voice(0.5), 25.0, 2)
    painted = model.infer(inputs, audio)
    assert painted.shape == (2, 256, 256, 3)
    assert painted.dtype == np.uint8


def test_the_painted_face_follows_the_audio(model: MuseTalkModel) -> None:
    inputs = model.to_device(model.encode_crops(crops(1)))
    audio = model.audio_features(voice(1.0), 25.0, 25)
    early, late = model.infer(inputs, audio[3:4]), model.infer(inputs, audio[20:21])
    assert np.abs(early.astype(int) - late.astype(int)).mean() > 1.0


def test_the_same_frame_and_audio_paint_the_same_face(model: MuseTalkModel) -> None:
    inputs = model.to_device(model.encode_crops(crops(1)))
    audio = model.audio_features(voice(0.4), 25.0, 4)
    assert np.array_equal(model.infer(inputs, audio[2:3]), model.infer(inputs, audio[2:3]))


def test_pack_inputs_are_latents_of_the_upper_half_and_of_the_whole_crop(model: MuseTalkModel) -> None:
    faces = crops(2)
    faces[1, :128] = faces[0, :128]  # same upper face, different mouth
    latents = model.encode_crops(faces)
    assert latents.shape == (2, 8, 32, 32)
    assert latents.dtype == np.float16
    assert np.allclose(latents[0, :4], latents[1, :4], atol=1e-3)
    assert np.abs(latents[0, 4:].astype(np.float32) - latents[1, 4:]).max() > 0.01


# the audio windows -----------------------------------------------------------------------------------------------

def test_whisper_states_are_every_encoder_layer_at_50_per_second(model: MuseTalkModel) -> None:
    states = model.audio.encoder_states(voice(1.3))
    assert states.shape == (65, 5, 384)  # embeddings + 4 layers of whisper-tiny


def test_an_utterance_longer_than_whisper_s_30_s_is_encoded_in_segments(model: MuseTalkModel) -> None:
    states = model.audio.encoder_states(voice(31.0))
    assert states.shape == (1550, 5, 384)


def test_audio_features_are_one_window_of_50_tokens_per_video_frame(model: MuseTalkModel) -> None:
    features = model.audio_features(voice(1.0), 25.0, 25)
    assert features.shape == (25, 50, 384)
    assert features.dtype == torch.float32


def numbered_states(tokens: int) -> torch.Tensor:
    """(tokens, 5, 384) states whose values say their token (1-based) and layer."""
    token = torch.arange(1, tokens + 1, dtype=torch.float32)[:, None, None]
    layer = torch.arange(5, dtype=torch.float32)[None, :, None] / 10
    return (token + layer).expand(tokens, 5, 384).clone()


def tokens_seen(window: torch.Tensor) -> list[int]:
    """The 1-based token of each of a window's 10 positions (0: padding)."""
    return [int(v) for v in window.reshape(10, 5, 384)[:, 0, 0]]


def test_at_25_fps_a_frame_sees_two_frames_either_side_of_it() -> None:
    windows = frame_windows(numbered_states(100), 25.0, 50)
    assert windows.shape == (50, 50, 384)
    assert tokens_seen(windows[0]) == [0, 0, 0, 0, 1, 2, 3, 4, 5, 6]
    assert tokens_seen(windows[3]) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]


def test_at_30_fps_windows_start_at_floor_of_frame_times_50_over_30() -> None:
    windows = frame_windows(numbered_states(60), 30.0, 36)
    starts = [tokens_seen(w)[0] for w in windows[2:6]]  # padded index floor(i * 5 / 3) - 4 left zeros, 1-based
    assert starts == [max(math.floor(i * 5 / 3) - 4 + 1, 0) for i in range(2, 6)]
    assert tokens_seen(windows[6]) == list(range(7, 17))


def test_a_window_is_its_tokens_in_order_each_with_every_layer() -> None:
    window = frame_windows(numbered_states(20), 25.0, 5)[4].reshape(10, 5, 384)
    assert torch.allclose(window[0, :, 0], torch.tensor([5.0, 5.1, 5.2, 5.3, 5.4]))


def test_frames_past_the_end_of_the_audio_see_silence() -> None:
    windows = frame_windows(numbered_states(10), 25.0, 12)
    assert tokens_seen(windows[6]) == [9, 10, 0, 0, 0, 0, 0, 0, 0, 0]
    assert not windows[9:].any()


def test_windows_carry_musetalk_s_sinusoidal_position_encoding() -> None:
    table = positional_encoding(50, 384)
    assert torch.equal(table[0, 0::2], torch.zeros(192)) and torch.equal(table[0, 1::2], torch.ones(192))
    assert table[7, 0] == pytest.approx(math.sin(7)) and table[7, 1] == pytest.approx(math.cos(7))
    assert table[7, 2] == pytest.approx(math.sin(7 * 10000 ** (-2 / 384)))


# bad model directories -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("missing", RELEASED_FILES)
def test_a_missing_released_file_is_named(models: Path, tmp_path: Path, missing: str) -> None:
    broken = models_with(models, tmp_path, missing, None)
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / missing))):
        load_model("musetalk", broken, "cpu")


def test_a_unet_state_dict_that_does_not_fit_the_config_is_named(models: Path, tmp_path: Path) -> None:
    state = torch.load(models / "musetalkV15/unet.pth", weights_only=True)
    state.pop("conv_in.weight")
    path = tmp_path / "unet.pth"
    torch.save(state, path)
    broken = models_with(models, tmp_path / "models", "musetalkV15/unet.pth", path.read_bytes())
    with pytest.raises(ConfigError, match="unet.pth.*conv_in.weight"):
        load_model("musetalk", broken, "cpu")


@pytest.mark.parametrize("damaged", ["musetalkV15/unet.pth", "sd-vae/diffusion_pytorch_model.bin",
                                     "whisper/pytorch_model.bin"])
def test_a_weights_file_that_is_not_a_checkpoint_is_named(models: Path, tmp_path: Path, damaged: str) -> None:
    broken = models_with(models, tmp_path, damaged, b"<html>404 Not Found</html>")
    with pytest.raises(ConfigError, match=re.escape(str((tmp_path / damaged).parent))):
        load_model("musetalk", broken, "cpu")


def test_a_config_that_is_not_json_is_named(models: Path, tmp_path: Path) -> None:
    broken = models_with(models, tmp_path, "musetalkV15/musetalk.json", b"block_out_channels: [320]")
    with pytest.raises(ConfigError, match="musetalk.json"):
        load_model("musetalk", broken, "cpu")


# the released sizes ----------------------------------------------------------------------------------------------

@pytest.mark.full_size
def test_released_size_weights_load_strictly_and_paint_a_frame(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:  # 4 GB: not left behind in pytest's kept temp dirs
        full = load_model("musetalk", write_musetalk(Path(folder)), "cpu")
    assert isinstance(full, MuseTalkModel)
    assert sum(p.numel() for p in full.unet.parameters()) > 800_000_000
    latents = np.random.default_rng(0).standard_normal((1, 8, 32, 32)).astype(np.float16)
    painted = full.infer(full.to_device(latents), full.audio_features(voice(0.2), 25.0, 1))
    assert painted.shape == (1, 256, 256, 3)
