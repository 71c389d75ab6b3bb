"""`streamer lint FILE|-`: findings with a place, exit 1 when something is found and 0 when clean."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import run_cli

from streamer.cli import main

BRIEFS = Path(__file__).parent / "briefs"


def test_clean_text_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "script.txt"
    script.write_text("第一次来直播间的朋友欢迎\n今天这款保温杯99元\n", encoding="utf-8")
    assert main(["lint", str(script)]) == 0
    assert capsys.readouterr().out == ""


def test_findings_exit_1_with_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "script.txt"
    script.write_text("欢迎大家\n这是全网最低价\n", encoding="utf-8")
    assert main(["lint", str(script)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{script}:2:3: price_fraud “全网最低价”") and "suggestion:" in out


def test_stdin_and_json_report(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("It is the best mug, guaranteed.\n"))
    assert main(["lint", "-", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(r["category"], r["text"], r["span"]) for r in report] == [
        ("extreme", "the best", [6, 14]), ("false_claim", "guaranteed", [20, 30])]


def test_a_brief_is_linted_field_by_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(BRIEFS / "airfryer_zh.yaml")]) == 1
    out = capsys.readouterr().out
    assert "products[0].selling_points[1]:5: extreme “第一”" in out
    assert "products[0].selling_points[3]:6: medical “减肥”" in out


def test_a_brief_is_checked_for_claims_the_brief_does_not_back(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(BRIEFS / "claims" / "earbuds_en.yaml"), "--format", "json"]) == 1
    report = {(r["path"], r["category"], r["text"], tuple(r["span"])) for r in json.loads(capsys.readouterr().out)}
    assert ("products[0].selling_points[6]", "reference_price", "99 dollars", (14, 24)) in report
    assert ("products[0].selling_points[4]", "unbacked_shipping", "next-day", (0, 8)) in report
    assert all(r[0].startswith("products[") for r in report)


def test_a_clean_brief_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(BRIEFS / "mug_en.yaml")]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "0 finding(s) in 10 text(s)" in captured.err


def test_a_yaml_syntax_error_names_its_line_and_exits_2(tmp_path: Path) -> None:
    brief = tmp_path / "broken.yaml"
    brief.write_text("language: zh\nproducts:\n  - id: a\n    name: [保温杯\n    price: 99\n", encoding="utf-8")
    result = run_cli("lint", str(brief), timeout=60)
    assert result.returncode == 2 and "not valid YAML at line 5, column" in result.stderr
    assert "finding" not in result.stderr and "Traceback" not in result.stderr


def test_a_json_syntax_error_names_its_line_and_exits_2(tmp_path: Path) -> None:
    brief = tmp_path / "broken.json"
    brief.write_text('{"language": "en",\n "products": [}\n', encoding="utf-8")
    result = run_cli("lint", str(brief), timeout=60)
    assert result.returncode == 2 and "not valid JSON at line 2, column" in result.stderr


def test_a_brief_that_does_not_validate_exits_2(tmp_path: Path) -> None:
    brief = tmp_path / "bad.yaml"
    brief.write_text("language: en\nproducts:\n  - {id: a, name: Mug, price: -3}\n", encoding="utf-8")
    result = run_cli("lint", str(brief), timeout=60)
    assert result.returncode == 2 and "products[0].price" in result.stderr


def test_a_planned_rundown_lints_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["plan", str(BRIEFS / "kitchen_en.yaml"), "--format", "json", "--loops", "3"])
    rundown = tmp_path / "rundown.json"
    rundown.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["lint", str(rundown)]) == 0
    assert "0 finding(s) in" in capsys.readouterr().err


def test_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("lint", str(tmp_path / "nope.txt"), timeout=60)
    assert result.returncode == 2 and "file not found" in result.stderr and "Traceback" not in result.stderr


def test_real_command_reads_stdin() -> None:
    result = run_cli("lint", "-", input="保证有效，药到病除\n", timeout=60)
    assert result.returncode == 1 and "false_claim" in result.stdout
