"""Neural avatar packs: `streamer avatars build` turns a reference video (or one portrait) into a pack the neural
host plays from: the source frames untouched, a smooth square crop on the face in every frame, the model's inputs
cached, a blend mask without seams; bad sources are refused with a message naming the problem."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import run_cli
from face_video import FACE_AXES, decode_frames, face_poses, write_face_video
from neural_weights import write_musetalk, write_wav2lip
from test_avatar_photo import LIPS, draw_portrait

from streamer.avatar import describe
from streamer.avatar.haar import cascade_path
from streamer.avatar.neural.faces import FaceTrack, crop_boxes
from streamer.avatar.neural.models import load_model
from streamer.avatar.neural.pack import load_pack, pingpong
from streamer.errors import ConfigError

pytestmark = pytest.mark.slow
needs_detector = pytest.mark.skipif(cascade_path() is None,
                                    reason="OpenCV Haar cascade data not installed (Debian: opencv-data)")
BUILD_TIMEOUT_S = 280  # the numpy face detector is slow on a shared core; a 2 s video takes well under a minute


def build(source: Path, out: Path, models: Path, *extra: str, model: str = "wav2lip") -> subprocess.CompletedProcess:
    return run_cli("avatars", "build", str(source), "--model", model, "--out", str(out), "--device", "cpu",
                   "--models-dir", str(models), *extra, timeout=BUILD_TIMEOUT_S)


@pytest.fixture(scope="module")
def wav2lip_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    models = tmp_path_factory.mktemp("models")
    write_wav2lip(models)
    return models


@pytest.fixture(scope="module")
def musetalk_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_musetalk(tmp_path_factory.mktemp("models"), small=True)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_face_video(tmp_path_factory.mktemp("src") / "host.mp4", seconds=2.0, fps=25, size=(480, 360))


@pytest.fixture(scope="module")
def built(video: Path, wav2lip_models: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("packs") / "host"
    r = build(video, out, wav2lip_models)
    assert r.returncode == 0, r.stderr
    return out, r.stdout


def crop_point(box: np.ndarray, xy: tuple[float, float], face_size: int) -> tuple[int, int]:
    """A frame point in the model's crop coordinates."""
    k = face_size / (box[2] - box[0])
    return int((xy[0] - box[0]) * k), int((xy[1] - box[1]) * k)


@needs_detector
def test_the_build_prints_one_summary_line(built: tuple[Path, str]) -> None:
    lines = built[1].strip().splitlines()
    assert len(lines) == 1
    assert "50 frames 480x360 at 25 fps" in lines[0] and "face box" in lines[0] and " s" in lines[0]


@needs_detector
def test_the_pack_holds_the_decoded_source_frames_untouched(built: tuple[Path, str], video: Path) -> None:
    pack = load_pack(built[0])
    assert isinstance(pack.frames, np.memmap)
    assert np.array_equal(pack.frames, decode_frames(video))


@needs_detector
def test_every_frames_crop_holds_the_eyes_mouth_and_chin_of_the_face(built: tuple[Path, str]) -> None:
    pack = load_pack(built[0])
    poses = face_poses(pack.manifest.frames, pack.manifest.fps, pack.manifest.size)
    for i, (box, pose) in enumerate(zip(pack.boxes, poses, strict=True)):
        x0, y0, x1, y1 = box
        chin = pose.centre[0], pose.centre[1] + FACE_AXES[1] * pose.scale
        for what, (x, y) in {"left eye": pose.eyes[0], "right eye": pose.eyes[1], "lips": pose.lips,
                             "chin": chin}.items():
            assert x0 < x < x1 and y0 < y <= y1, f"frame {i}: {what} at {x:.0f},{y:.0f} is outside the crop {box}"
        assert abs((x0 + x1) / 2 - pose.centre[0]) < 0.08 * (x1 - x0), f"frame {i}: crop {box} is off centre"
        assert 0.85 < (y1 - y0) / pose.face_height < 1.3, f"frame {i}: crop {box} does not fit the face"


@needs_detector
def test_crop_boxes_follow_the_face_without_jitter(built: tuple[Path, str]) -> None:
    boxes = load_pack(built[0]).boxes.astype(int)
    # the drawn face moves about a pixel a frame; raw Haar boxes jump by 10-20 px between detections
    assert np.abs(np.diff(boxes, axis=0)).max() <= 4


@needs_detector
def test_crops_are_the_boxes_cut_from_the_frames_at_the_models_face_size(built: tuple[Path, str]) -> None:
    pack = load_pack(built[0])
    assert pack.crops.shape == (50, 96, 96, 3)
    for i in (0, 25, 49):
        x0, y0, x1, y1 = pack.boxes[i]
        expected = cv2.resize(np.asarray(pack.frames[i, y0:y1, x0:x1]), (96, 96), interpolation=cv2.INTER_AREA)
        assert np.abs(pack.crops[i].astype(int) - expected).mean() < 2


@needs_detector
def test_the_models_inputs_are_cached_for_every_frame(built: tuple[Path, str], wav2lip_models: Path) -> None:
    pack = load_pack(built[0])
    model = load_model("wav2lip", wav2lip_models, "cpu")
    assert np.array_equal(np.load(pack.inputs), model.encode_crops(np.asarray(pack.crops)))


@needs_detector
def test_the_blend_mask_covers_the_mouth_and_fades_to_zero_at_the_crop_border(built: tuple[Path, str]) -> None:
    pack = load_pack(built[0])
    mask, s = pack.mask, pack.manifest.face_size
    pose = face_poses(1, 25, (480, 360))[0]
    lx, ly = crop_point(pack.boxes[0], pose.lips, s)
    ex, ey = crop_point(pack.boxes[0], pose.eyes[0], s)
    assert mask[ly, lx] > 0.95, "the mouth is not repainted"
    assert mask[ey, ex] == 0, "the eyes would be repainted"
    border = np.concatenate([mask[:2].ravel(), mask[-2:].ravel(), mask[:, :2].ravel(), mask[:, -2:].ravel()])
    assert border.max() == 0, "a repainted crop would show its edge"
    steps = max(np.abs(np.diff(mask, axis=0)).max(), np.abs(np.diff(mask, axis=1)).max())
    assert steps < 0.2, "the mask has a hard edge"


@needs_detector
def test_the_mouth_box_for_the_photo_fallback_marks_the_lips_of_frame_0(built: tuple[Path, str]) -> None:
    pack = load_pack(built[0])
    b = pack.manifest.mouth_box
    lx, ly = face_poses(1, 25, (480, 360))[0].lips
    assert abs(b.x + b.w / 2 - lx) <= 4 and abs(b.y + b.h / 2 - ly) <= 4
    portrait = cv2.cvtColor(cv2.imread(str(pack.portrait)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(portrait, pack.frames[0])


@needs_detector
def test_avatars_list_describes_a_neural_pack(built: tuple[Path, str]) -> None:
    line = describe(built[0])
    assert "neural" in line and "wav2lip, 50 frames 480x360 at 25 fps" in line


@needs_detector
def test_a_single_portrait_builds_a_one_frame_pack(tmp_path: Path, wav2lip_models: Path) -> None:
    src = tmp_path / "me.png"
    cv2.imwrite(str(src), cv2.cvtColor(draw_portrait(), cv2.COLOR_RGB2BGR))
    r = build(src, tmp_path / "me", wav2lip_models)
    assert r.returncode == 0, r.stderr
    pack = load_pack(tmp_path / "me")
    assert pack.frames.shape == (1, 600, 480, 3)
    x0, y0, x1, y1 = pack.boxes[0]
    assert x0 < LIPS[0] < x1 and y0 < LIPS[1] < y1


@needs_detector
def test_musetalk_packs_cache_vae_latents_of_a_larger_crop(tmp_path: Path, musetalk_models: Path) -> None:
    src = write_face_video(tmp_path / "short.mp4", seconds=1.2)
    r = build(src, tmp_path / "mt", musetalk_models, model="musetalk")
    assert r.returncode == 0, r.stderr
    pack = load_pack(tmp_path / "mt")
    inputs = np.load(pack.inputs)
    assert pack.crops.shape == (30, 256, 256, 3)
    assert inputs.shape == (30, 8, 32, 32) and inputs.dtype == np.float16 and np.isfinite(inputs).all()
    assert inputs.std() > 0
    pose = face_poses(1, 25, (480, 360))[0]
    assert pack.boxes[0, 3] > pose.centre[1] + FACE_AXES[1] * pose.scale, "the chin is outside the crop"


def test_crops_of_a_face_at_the_frame_edge_stay_square_and_inside_the_frame() -> None:
    faces_xywh = np.array([[-30.0, 200.0, 120.0, 120.0], [400.0, -10.0, 120.0, 120.0], [100.0, 50.0, 400.0, 400.0]])
    for model in ("wav2lip", "musetalk"):
        boxes = crop_boxes(FaceTrack(faces_xywh, 3, 3), model, (480, 360))
        x0, y0, x1, y1 = boxes.T
        assert (x0 >= 0).all() and (y0 >= 0).all() and (x1 <= 480).all() and (y1 <= 360).all()
        assert np.array_equal(x1 - x0, y1 - y0)
        assert (x1 - x0).min() > 120


def test_the_idle_loop_plays_forward_then_backward() -> None:
    assert [pingpong(k, 4) for k in range(10)] == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]
    assert [pingpong(k, 1) for k in range(3)] == [0, 0, 0]


@pytest.mark.parametrize("name, content, message", [
    ("notes.txt", b"just some notes\n", "not a video or image"),
    ("clip.mp4", b"\x00\x01garbage" * 100, "not a video or image"),
    ("face.png", b"not really a png", "not a readable image"),
])
def test_a_file_that_is_not_a_video_or_image_is_refused(tmp_path: Path, wav2lip_models: Path, name: str,
                                                         content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    r = build(tmp_path / name, tmp_path / "out", wav2lip_models)
    assert r.returncode == 2 and message in r.stderr and name in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_video_shorter_than_a_second_is_refused(tmp_path: Path, wav2lip_models: Path) -> None:
    r = build(write_face_video(tmp_path / "blink.mp4", seconds=0.5), tmp_path / "out", wav2lip_models)
    assert r.returncode == 2 and "too short: 0.48 s" in r.stderr  # 12 frames at 25 fps


def test_a_video_longer_than_a_minute_is_refused(tmp_path: Path, wav2lip_models: Path) -> None:
    src = write_face_video(tmp_path / "long.mp4", seconds=61, fps=2, size=(160, 128))
    r = build(src, tmp_path / "out", wav2lip_models)
    assert r.returncode == 2 and "too long: over 60 s" in r.stderr


def test_a_video_with_tiny_frames_is_refused(tmp_path: Path, wav2lip_models: Path) -> None:
    r = build(write_face_video(tmp_path / "tiny.mp4", size=(120, 96)), tmp_path / "out", wav2lip_models)
    assert r.returncode == 2 and "too small: 120x96" in r.stderr


@needs_detector
def test_a_face_smaller_than_the_model_paints_is_refused(tmp_path: Path, musetalk_models: Path) -> None:
    src = write_face_video(tmp_path / "far.mp4", seconds=1.2, size=(256, 192))
    r = build(src, tmp_path / "out", musetalk_models, model="musetalk")
    assert r.returncode == 2 and "the face is too small" in r.stderr and "128 px" in r.stderr


@needs_detector
def test_a_video_without_a_face_is_refused(tmp_path: Path, wav2lip_models: Path) -> None:
    src = write_face_video(tmp_path / "empty.mp4", seconds=1.2, face=False)
    r = build(src, tmp_path / "out", wav2lip_models)
    assert r.returncode == 2 and "no face" in r.stderr
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.building-*"))


@needs_detector
def test_an_existing_pack_is_only_replaced_with_force(tmp_path: Path, wav2lip_models: Path) -> None:
    src = tmp_path / "me.png"
    cv2.imwrite(str(src), cv2.cvtColor(draw_portrait(), cv2.COLOR_RGB2BGR))
    assert build(src, tmp_path / "me", wav2lip_models).returncode == 0
    again = build(src, tmp_path / "me", wav2lip_models)
    assert again.returncode == 2 and "exists and is not empty" in again.stderr
    assert build(src, tmp_path / "me", wav2lip_models, "--force").returncode == 0


def test_force_never_replaces_a_directory_that_is_not_a_neural_pack(tmp_path: Path, wav2lip_models: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.txt").write_text("precious")
    src = tmp_path / "me.png"
    cv2.imwrite(str(src), cv2.cvtColor(draw_portrait(), cv2.COLOR_RGB2BGR))
    r = build(src, tmp_path / "docs", wav2lip_models, "--force")
    assert r.returncode == 2 and "other than a neural pack" in r.stderr
    assert (tmp_path / "docs" / "thesis.txt").read_text() == "precious"


@needs_detector
def test_a_pack_missing_an_array_is_refused_naming_the_file(built: tuple[Path, str], tmp_path: Path) -> None:
    broken = shutil.copytree(built[0], tmp_path / "broken")
    (broken / "crops.npy").unlink()
    with pytest.raises(ConfigError, match="crops.npy is missing"):
        load_pack(broken)


@needs_detector
def test_a_pack_whose_arrays_disagree_with_its_manifest_is_refused(built: tuple[Path, str], tmp_path: Path) -> None:
    broken = shutil.copytree(built[0], tmp_path / "broken")
    np.save(broken / "boxes.npy", np.load(broken / "boxes.npy")[:-1])
    with pytest.raises(ConfigError, match=r"boxes.npy: expected int32 \(50, 4\)"):
        load_pack(broken)
