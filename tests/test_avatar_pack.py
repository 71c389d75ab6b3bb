"""Avatar packs: the bundled host loads and is listed; broken packs fail with a message naming the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from streamer.avatar import available, load_host
from streamer.avatar.pack import PACKS_DIR
from streamer.cli import main
from streamer.errors import ConfigError

DEFAULT = PACKS_DIR / "default"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A private copy of the default pack to break."""
    return Path(shutil.copytree(DEFAULT, tmp_path / "mine"))


def edit_manifest(pack: Path, change) -> None:
    path = pack / "manifest.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_default_pack_is_listed_and_loads_at_720p_and_1080p() -> None:
    assert "default" in available()
    for height in (720, 1080):
        host = load_host("default", height)
        assert host.size[1] == height


def test_avatars_list_command_prints_the_default_pack(capsys) -> None:
    assert main(["avatars", "list"]) == 0
    assert "default" in capsys.readouterr().out


def test_pack_can_be_given_as_a_path(pack: Path) -> None:
    assert load_host(str(pack), 720).name == "default"
    assert load_host(str(pack / "manifest.yaml"), 720).name == "default"


def test_unknown_pack_names_the_pack_and_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"'nobody'.*known packs: .*default"):
        load_host("nobody", 720)


def test_missing_viseme_file_is_named(pack: Path) -> None:
    (pack / "mouth_open_3.png").unlink()
    with pytest.raises(ConfigError, match="mouth_open_3.png.*missing"):
        load_host(str(pack), 720)


def test_unreadable_image_is_named(pack: Path) -> None:
    (pack / "eyes_half.png").write_bytes(b"not a png")
    with pytest.raises(ConfigError, match="eyes_half.png.*not a readable image"):
        load_host(str(pack), 720)


def test_viseme_of_the_wrong_size_is_named(pack: Path) -> None:
    img = cv2.imread(str(pack / "mouth_wide_2.png"), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(pack / "mouth_wide_2.png"), np.ascontiguousarray(img[:-10]))
    with pytest.raises(ConfigError, match="mouth sprites must all be.*wide_2 is"):
        load_host(str(pack), 720)


def test_layer_outside_the_canvas_is_refused(pack: Path) -> None:
    edit_manifest(pack, lambda d: d["layers"][2].update(at=[900, 380]))
    with pytest.raises(ConfigError, match="body.png.*does not fit"):
        load_host(str(pack), 720)


def test_manifest_field_errors_name_the_field(pack: Path) -> None:
    edit_manifest(pack, lambda d: d["mouth"]["visemes"]["rest"].update(open=3))
    with pytest.raises(ConfigError, match=r"mouth\.visemes\.rest\.open"):
        load_host(str(pack), 720)


def test_a_pack_without_a_rest_mouth_is_refused(pack: Path) -> None:
    edit_manifest(pack, lambda d: d["mouth"]["visemes"].pop("rest"))
    with pytest.raises(ConfigError, match="'rest'"):
        load_host(str(pack), 720)


def test_missing_manifest_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="manifest.yaml is missing"):
        load_host(str(tmp_path / "empty"), 720)


def test_default_pack_has_the_full_viseme_set_and_both_gestures() -> None:
    m = yaml.safe_load((DEFAULT / "manifest.yaml").read_text())
    params = m["mouth"]["visemes"].values()
    assert any(v["open"] == 0 and v.get("press", 0) == 0 for v in params)  # rest
    assert any(v.get("press", 0) == 1 for v in params)  # M B P
    assert any(v.get("fv", 0) == 1 for v in params)  # F V (teeth on lip)
    assert any(v["open"] >= 0.7 for v in params)  # open
    assert any(v.get("width", 1) > 1.05 for v in params)  # wide
    assert any(v.get("round", 0) >= 0.8 for v in params)  # rounded
    assert {"half", "closed"} <= set(m["eyes"]["frames"])
    assert {"present", "point_cart"} <= set(m["gestures"])
