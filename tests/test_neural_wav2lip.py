"""The released Wav2Lip: its checkpoint format loads strictly, it computes the published network, RGB in and out."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from neural_weights import write_wav2lip
from wav2lip_reference import forward as reference_forward

from streamer.avatar.neural import mel as wav2lip_mel
from streamer.avatar.neural.wav2lip import Wav2LipModel, load_wav2lip
from streamer.errors import ConfigError

SR = 16_000


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    write_wav2lip(folder)
    return folder


@pytest.fixture(scope="module")
def model(models_dir: Path) -> Wav2LipModel:
    return Wav2LipModel.load(models_dir, "cpu")


@pytest.fixture(scope="module")
def released(models_dir: Path) -> dict[str, torch.Tensor]:
    """The random checkpoint's tensors as saved, ``module.`` names and all (tests copy the dict to change it)."""
    return torch.load(models_dir / "wav2lip" / "wav2lip.pth", map_location="cpu", weights_only=True)["state_dict"]


def resave(path: Path, state: dict[str, torch.Tensor]) -> Path:
    torch.save({"state_dict": state}, path)
    return path


def test_released_checkpoint_loads_strictly_in_eval_mode(model: Wav2LipModel, released):
    assert all(name.startswith("module.") for name in released)
    loaded = model.net.state_dict()
    assert set(loaded) == {name.removeprefix("module.") for name in released}
    assert all(torch.equal(loaded[name.removeprefix("module.")], tensor) for name, tensor in released.items())
    assert not model.net.training


def test_gan_checkpoint_is_used_when_it_is_the_only_one(models_dir: Path, tmp_path: Path):
    (tmp_path / "wav2lip").mkdir()
    shutil.copyfile(models_dir / "wav2lip" / "wav2lip.pth", tmp_path / "wav2lip" / "wav2lip_gan.pth")
    loaded = Wav2LipModel.load(tmp_path, "cpu")
    assert (loaded.kind, loaded.face_size, loaded.device, loaded.dtype) == ("wav2lip", 96, "cpu", torch.float32)


def test_no_checkpoint_names_the_folder_and_files_expected(tmp_path: Path):
    with pytest.raises(ConfigError) as err:
        Wav2LipModel.load(tmp_path, "cpu")
    assert str(tmp_path / "wav2lip") in str(err.value)
    assert "wav2lip.pth" in str(err.value) and "wav2lip_gan.pth" in str(err.value)


def test_checkpoint_with_a_renamed_key_is_refused_naming_file_and_key(released, tmp_path: Path):
    state = dict(released)
    state["module.audio_encoder.13.conv_block.0.weight"] = state.pop("module.audio_encoder.12.conv_block.0.weight")
    path = resave(tmp_path / "renamed.pth", state)
    with pytest.raises(ConfigError) as err:
        load_wav2lip(path, "cpu", torch.float32)
    assert str(path) in str(err.value)
    assert "missing audio_encoder.12.conv_block.0.weight" in str(err.value)
    assert "unexpected audio_encoder.13.conv_block.0.weight" in str(err.value)


def test_checkpoint_with_a_wrong_shape_is_refused(released, tmp_path: Path):
    state = dict(released)
    state["module.output_block.1.weight"] = torch.zeros(3, 16, 1, 1)
    path = resave(tmp_path / "narrow.pth", state)
    with pytest.raises(ConfigError, match=r"output_block\.1\.weight has shape \(3, 16, 1, 1\)") as err:
        load_wav2lip(path, "cpu", torch.float32)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("content", [b"not a checkpoint at all", "plain dict"])
def test_a_file_that_is_not_a_wav2lip_checkpoint_is_refused(tmp_path: Path, content: bytes | str):
    path = tmp_path / "wav2lip.pth"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save({"weights": [1, 2, 3]}, path)
    with pytest.raises(ConfigError, match=str(path)):
        load_wav2lip(path, "cpu", torch.float32)


@pytest.fixture(scope="module")
def random_batch() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(7)
    mel = torch.rand(4, 1, 80, 16, generator=gen) * 6 - 4
    faces = torch.rand(4, 6, 96, 96, generator=gen)
    faces[:, :3, 48:] = 0
    return mel, faces


@pytest.fixture(scope="module")
def reference_output(released, random_batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The independent implementation run on the checkpoint's own tensors."""
    state = {name.removeprefix("module."): tensor for name, tensor in released.items()}
    return reference_forward(state, *random_batch)


@pytest.mark.parametrize("batch", [1, 4])
def test_network_computes_the_published_architecture(model: Wav2LipModel, random_batch, reference_output,
                                                     batch: int):
    mel, faces = random_batch
    with torch.inference_mode():
        out = model.net(mel[:batch], faces[:batch])
    assert out.shape == (batch, 3, 96, 96)
    assert reference_output.std() > 0.05  # the random weights are not saturating the sigmoid
    torch.testing.assert_close(out.double(), reference_output[:batch], rtol=0, atol=1e-4)


def test_time_stacked_sequences_give_each_step_its_frame(model: Wav2LipModel, random_batch):
    mel, faces = random_batch  # four frames: sequences (0, 1) and (2, 3)
    with torch.inference_mode():
        frames = model.net(mel, faces)
        stacked = model.net(mel.reshape(2, 2, 1, 80, 16), faces.reshape(2, 2, 6, 96, 96).transpose(1, 2))
    assert stacked.shape == (2, 3, 2, 96, 96)
    torch.testing.assert_close(stacked.transpose(1, 2).reshape(4, 3, 96, 96), frames, rtol=0, atol=1e-5)


def face_crops(n: int) -> np.ndarray:
    crops = np.zeros((n, 96, 96, 3), np.uint8)
    crops[..., 0] = 200  # R
    crops[..., 1] = np.arange(96, dtype=np.uint8)[None, :, None]  # G: rows
    crops[..., 2] = 30  # B
    return crops


def test_cached_input_is_the_bgr_crop_with_its_lower_half_blacked_out_then_the_whole_crop(model: Wav2LipModel):
    crops = face_crops(3)
    inputs = model.encode_crops(crops)
    assert inputs.shape == (3, 6, 96, 96) and inputs.dtype == np.uint8
    for channel, rgb in ((0, 2), (1, 1), (2, 0)):
        np.testing.assert_array_equal(inputs[:, channel, :48], crops[:, :48, :, rgb])
        np.testing.assert_array_equal(inputs[:, 3 + channel], crops[..., rgb])
    assert not inputs[:, :3, 48:].any()


def test_crops_of_the_wrong_size_are_refused(model: Wav2LipModel):
    with pytest.raises(ValueError, match="96, 96, 3"):
        model.encode_crops(np.zeros((2, 128, 128, 3), np.uint8))


def tone(seconds: float, hz: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.5 * np.sin(2 * np.pi * hz * t) * np.sin(2 * np.pi * 4 * t)).astype(np.float32)


def test_audio_features_are_one_mel_window_per_video_frame(model: Wav2LipModel):
    pcm = tone(1.0, 300)
    feats = model.audio_features(pcm, 25.0, 25)
    assert feats.shape == (25, 1, 80, 16) and feats.dtype == torch.float32 and feats.device.type == "cpu"
    expected = wav2lip_mel.mel_windows(wav2lip_mel.melspectrogram(pcm), 25.0, 25)
    np.testing.assert_array_equal(feats.numpy(), expected)


def test_infer_paints_rgb_crops_from_the_networks_bgr(model: Wav2LipModel):
    faces = model.to_device(model.encode_crops(face_crops(2)))
    audio = model.audio_features(tone(0.5, 220), 25.0, 2)
    crops = model.infer(faces, audio)
    assert crops.shape == (2, 96, 96, 3) and crops.dtype == np.uint8
    with torch.inference_mode():
        bgr = model.net(audio, faces).numpy()
    for rgb, channel in ((0, 2), (1, 1), (2, 0)):
        np.testing.assert_allclose(crops[..., rgb], bgr[:, channel] * 255, atol=0.51)


def test_faces_reach_the_network_in_0_to_1(model: Wav2LipModel):
    faces = model.to_device(np.full((1, 6, 96, 96), 255, np.uint8))
    assert faces.dtype == torch.float32
    assert torch.all(faces == 1.0)


def test_painted_mouth_follows_the_audio(model: Wav2LipModel):
    faces = model.to_device(model.encode_crops(face_crops(2)))
    silent = model.infer(faces, model.audio_features(np.zeros(SR, np.float32), 25.0, 2))
    speaking = model.infer(faces, model.audio_features(tone(1.0, 250), 25.0, 2))
    assert np.abs(silent.astype(int) - speaking.astype(int)).mean() > 2.0


def test_batch_of_faces_and_audio_must_agree(model: Wav2LipModel):
    faces = model.to_device(model.encode_crops(face_crops(2)))
    with pytest.raises(ValueError, match="2 faces but 3 audio"):
        model.infer(faces, model.audio_features(tone(0.5, 220), 25.0, 3))
