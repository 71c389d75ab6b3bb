"""Host choice: two bundled hosts drawn by the project's code (Xiaoya, a woman; Leo, a man), picked by name, and a
warning, never a failure, when the voice or the brief's language does not fit the host."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import run_cli

from streamer.avatar import HostPose, Idle, load_host, read_manifest
from streamer.avatar.art import generate as G
from streamer.avatar.art.looks import LEO
from streamer.avatar.lipsync import REST
from streamer.avatar.match import describe_voice, match_host
from streamer.avatar.pack import PACKS_DIR, load_image
from streamer.brief import load_brief
from streamer.cli import main
from streamer.scene import FrameState, SceneRenderer, Speaking
from streamer.tts.base import SAMPLE_RATE

FPS = 30
LEO_DIR = PACKS_DIR / "leo"


def test_avatars_list_shows_a_woman_and_a_man(capsys) -> None:
    assert main(["avatars", "list"]) == 0
    out = capsys.readouterr().out
    assert "default" in out and "Xiaoya" in out
    assert "leo" in out and "Leo" in out
    assert (read_manifest(PACKS_DIR / "default").presents, read_manifest(LEO_DIR).presents) == ("female", "male")


def test_leo_validates_and_loads_at_720p_and_1080p() -> None:
    for height in (720, 1080):
        assert load_host("leo", height).size[1] == height


def test_leo_has_every_viseme_and_gesture_the_default_has() -> None:
    default = yaml.safe_load((PACKS_DIR / "default" / "manifest.yaml").read_text())
    leo = yaml.safe_load((LEO_DIR / "manifest.yaml").read_text())
    assert leo["mouth"]["visemes"].keys() == default["mouth"]["visemes"].keys()
    assert leo["gestures"].keys() == default["gestures"].keys()


def test_leo_opens_his_mouth_while_he_speaks(garden_brief: Path) -> None:
    scene = SceneRenderer(load_brief(garden_brief), (640, 360), FPS, avatar="leo", live=False)
    t = np.arange(int(1.0 * SAMPLE_RATE)) / SAMPLE_RATE
    pcm = (0.3 * np.sign(np.sin(2 * np.pi * 180 * t))).astype(np.float32)  # loud throughout
    k = 15
    silent = scene.render(FrameState(k, k / FPS, None, None))
    speaking = scene.render(FrameState(k, k / FPS, Speaking("hello there", 0.0, pcm, ()), None))
    hx, hy = scene._host_xy
    x, y, w, h = scene.host.mouth_rect
    mouth = (slice(hy + y, hy + y + h), slice(hx + x, hx + x + w))
    assert np.abs(speaking[mouth].astype(int) - silent[mouth]).mean() > 5


def test_an_open_mouth_changes_the_mouth_and_nothing_else() -> None:
    host = load_host("leo", 720)
    w, h = host.size
    frames = []
    for mouth in (REST, [0.72, 1, 0, 0, 0]):
        frame = np.zeros((h, w, 3), np.uint8)
        host.draw(frame, 0, 0, HostPose(np.array(mouth, np.float32), idle=Idle(0, 0, 0, 0)))
        frames.append(frame.astype(int))
    changed = np.abs(frames[1] - frames[0]).max(axis=2) > 0
    x, y, mw, mh = host.mouth_rect
    ys, xs = np.nonzero(changed)
    assert ys.size > 0.2 * mw * mh  # the mouth opened
    assert (xs.min(), ys.min()) >= (x - mw, y - mh) and (xs.max(), ys.max()) <= (x + 2 * mw, y + 2 * mh)


def test_the_generator_draws_the_committed_leo_the_same_every_time() -> None:
    first = G._head(G.VISEMES["rest"], 1.0, LEO)
    again = G._head(G.VISEMES["rest"], 1.0, LEO)
    assert np.array_equal(first, again)
    assert np.array_equal(first, load_image(LEO_DIR, "head.png", "head"))


def test_voices_are_told_apart_by_their_names() -> None:
    assert (describe_voice("piper:joe").presents, describe_voice("piper:joe").language) == ("male", "en")
    assert describe_voice("espeak:en-us").presents == "male"
    assert describe_voice("espeak:en-us+f3").presents == "female"
    assert describe_voice("edge:zh-CN-XiaoxiaoNeural").presents == "female"
    assert describe_voice("edge:zh-CN-YunxiNeural").presents == "male"
    assert (describe_voice("edge:en-US-GuyNeural").presents, describe_voice("edge:en-US-GuyNeural").language) == (
        "male", "en")
    assert describe_voice("piper:models/en_US-amy-medium.onnx").presents == "female"
    assert describe_voice("openai:alloy").presents is None  # a server's own names say nothing


def test_a_woman_with_a_mans_voice_is_warned_about_and_the_man_is_suggested() -> None:
    [warning] = match_host("default", "piper:joe", "en").warnings
    assert "female" in warning and "piper:joe is male" in warning and "--avatar leo" in warning


def test_a_man_with_a_womans_voice_is_warned_about() -> None:
    [warning] = match_host("leo", "edge:zh-CN-XiaoxiaoNeural", "zh").warnings
    assert "male" in warning and "--avatar default" in warning


@pytest.mark.parametrize(("avatar", "voice", "language"), [
    ("leo", "piper:joe", "en"), ("default", "edge:zh-CN-XiaoxiaoNeural", "zh"), ("leo", "espeak:cmn", "zh"),
    ("default", "openai:alloy", "en"),
])
def test_a_fitting_host_and_voice_give_no_warning(avatar: str, voice: str, language: str) -> None:
    assert match_host(avatar, voice, language).warnings == []


def test_a_voice_in_another_language_than_the_brief_is_warned_about() -> None:
    [warning] = match_host("leo", "edge:en-US-GuyNeural", "zh").warnings
    assert "speaks en" in warning and "brief is in zh" in warning


def test_a_host_made_for_another_language_is_warned_about(tmp_path: Path) -> None:
    pack = Path(shutil.copytree(LEO_DIR, tmp_path / "leo_zh"))
    data = yaml.safe_load((pack / "manifest.yaml").read_text())
    data["languages"] = ["zh"]
    (pack / "manifest.yaml").write_text(yaml.safe_dump(data))
    [warning] = match_host(str(pack), "piper:joe", "en").warnings
    assert "made for zh" in warning and "brief is in en" in warning


def test_a_pack_that_does_not_say_who_it_presents_is_not_checked(tmp_path: Path) -> None:
    pack = Path(shutil.copytree(PACKS_DIR / "default", tmp_path / "anyone"))
    data = yaml.safe_load((pack / "manifest.yaml").read_text())
    del data["presents"]
    (pack / "manifest.yaml").write_text(yaml.safe_dump(data))
    assert match_host(str(pack), "piper:joe", "en").warnings == []


@pytest.mark.parametrize(("avatar", "warned"), [("default", True), ("leo", False)])
def test_streamer_run_warns_on_stderr_and_in_stats_when_the_voice_does_not_fit(
        avatar: str, warned: bool, garden_brief: Path, tmp_path: Path) -> None:
    out = tmp_path / "host.mp4"
    r = run_cli("run", str(garden_brief), "--out", str(out), "--duration", "2", "--size", "320x180",
                "--avatar", avatar, "--voice", "piper:joe", "--stats", timeout=280)
    assert r.returncode == 0, r.stderr
    host = json.loads(r.stdout)["host"]
    assert (host["avatar"], host["voice"]) == (avatar, "piper:joe")
    assert bool(host["warnings"]) is warned
    assert ("host and voice:" in r.stderr) is warned
