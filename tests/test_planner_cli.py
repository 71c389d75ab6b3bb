"""`streamer plan`: the rundown as Markdown or JSON, from templates or an LLM, as a user runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from llm_server import ChatServer
from test_planner_llm import GOOD

from streamer.cli import main
from streamer.planner import Rundown

BRIEFS = Path(__file__).parent / "briefs"


def test_plan_prints_json_that_parses_as_a_rundown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(BRIEFS / "airfryer_zh.yaml"), "--format", "json", "--loops", "3", "--seed", "2"]) == 0
    rundown = Rundown.model_validate_json(capsys.readouterr().out)
    assert len(rundown.loops) == 3 and rundown.seed == 2 and rundown.language == "zh"
    assert {d.text for d in rundown.dropped} == {"全网销量第一", "少油烹饪，减肥必备"}


def test_plan_json_reports_the_distinct_sentence_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    main(["plan", str(BRIEFS / "mug_en.yaml"), "--format", "json", "--loops", "10"])
    assert json.loads(capsys.readouterr().out)["distinct_sentence_ratio"] >= 0.5


def test_plan_markdown_lists_loops_products_cues_and_what_was_not_said(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(BRIEFS / "kitchen_en.yaml"), "--loops", "2"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Rundown (template planner, seed 0)")
    assert "## Loop 2" in md and "### Pro Glass Blender (`blender-01`)" in md and "_[point_cart]_" in md
    assert "## Not said" in md and "cures back pain" in md.split("## Not said")[1]


def test_same_seed_prints_the_same_plan(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for _ in range(2):
        main(["plan", str(BRIEFS / "mug_en.yaml"), "--seed", "5"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_plan_with_an_llm_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    with ChatServer([GOOD]) as server:
        code = main(["plan", str(BRIEFS / "mug_en.yaml"), "--format", "json", "--llm", "--llm-base-url",
                     server.base_url, "--llm-model", "tiny", "--variants", "1"])
    assert code == 0 and Rundown.model_validate_json(capsys.readouterr().out).planner == "llm"


def test_plan_falls_back_to_templates_when_the_llm_is_down(capsys: pytest.CaptureFixture[str],
                                                           refused_llm_url: str) -> None:
    code = main(["plan", str(BRIEFS / "mug_en.yaml"), "--llm", "--llm-base-url", refused_llm_url,
                 "--llm-model", "tiny"])
    captured = capsys.readouterr()
    assert code == 0 and "template (llm fallback)" in captured.out and "LLM unavailable" in captured.err


def test_bad_brief_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("language: fr\nproducts: []\n", encoding="utf-8")
    result = run_cli("plan", str(bad), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("streamer plan: error: ")
    assert "language: unknown language 'fr'" in result.stderr and "Traceback" not in result.stderr


def test_bad_loop_count_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(BRIEFS / "mug_en.yaml"), "--loops", "0"]) == 2
    assert "--loops 0" in capsys.readouterr().err


def test_plan_hours_plans_by_time_and_reports_the_repetition_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(BRIEFS / "kitchen_en.yaml"), "--hours", "8", "--format", "json"]) == 0
    rundown = json.loads(capsys.readouterr().out)
    assert rundown["est_s"] >= 8 * 3600
    assert rundown["min_repeat_interval_min"] >= 30 and rundown["distinct_sentence_ratio"] >= 0.5


def test_plan_hours_markdown_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(BRIEFS / "airfryer_zh.yaml"), "--hours", "8"]) == 0
    head = capsys.readouterr().out.split("## Loop 1")[0]
    gap = re.search(r"shortest interval between two identical sentences: ([\d.]+) min", head)
    ratio = re.search(r"distinct-sentence ratio: ([\d.]+)", head)
    assert gap and float(gap.group(1)) >= 30 and ratio and float(ratio.group(1)) >= 0.5


def test_plan_start_gives_lines_for_the_time_of_day(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(BRIEFS / "mug_en.yaml"), "--loops", "3", "--start", "07:30", "--format", "json"]) == 0
    rundown = Rundown.model_validate_json(capsys.readouterr().out)
    assert rundown.start is not None and rundown.start.hour == 7
    assert any("morning" in s.lower() for s in rundown.sentences())


@pytest.mark.parametrize("option", [["--hours", "0"], ["--hours", "100"], ["--start", "25:00"]])
def test_bad_hours_or_start_is_a_usage_error(option: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(BRIEFS / "mug_en.yaml"), *option]) == 2
    assert option[0] in capsys.readouterr().err
