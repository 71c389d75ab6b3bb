#!/usr/bin/env python3
"""Run the fault matrix and judge it: one JSON object on stdout, exit 0 when every scenario held, 1 otherwise.

  .venv/bin/python scripts/chaos.py                      # the CI-length scenarios
  .venv/bin/python scripts/chaos.py --scale 10           # each scenario ten times longer
  .venv/bin/python scripts/chaos.py -k rtmp --report chaos.json

The matrix is every ``tests/test_faults_*.py``; each test is one row (a fault and what must hold under it). They run
in this process under pytest with ``STREAMER_CHAOS_SCALE`` set (tests/faults.py ``scale()`` stretches their durations)
and ``STREAMER_CHAOS_OUT`` naming a JSON-lines file that ``figure()`` appends what each test measured to. A figure
belongs to the test that was running when it was written. The report lists, per fault, its figures and whether
every test that measured it passed, and per test its outcome; pytest's own output goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MATRIX = "tests/test_faults_*.py"
TEST_TIMEOUT_S = 300  # pyproject's per-test limit at scale 1; a stretched scenario gets proportionally more
ENV_SCALE, ENV_OUT = "STREAMER_CHAOS_SCALE", "STREAMER_CHAOS_OUT"  # as tests/faults.py reads them


class Recorder:
    """A pytest plugin: each test's outcome, and the figure rows appended while it ran."""

    def __init__(self, figures: Path) -> None:
        self.figures = figures
        self.tests: dict[str, dict[str, Any]] = {}
        self._offset = 0

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.tests[nodeid] = {"outcome": "passed", "duration_s": 0.0, "figures": []}
        self._offset = self._size()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.tests[report.nodeid]
        test["duration_s"] = round(test["duration_s"] + report.duration, 2)
        if report.failed:
            test["outcome"] = "failed" if report.when == "call" else "error"
            test["error"] = _last_line(report.longreprtext)
        elif report.skipped and test["outcome"] == "passed":
            test["outcome"] = "skipped"
            test["error"] = _last_line(report.longreprtext)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        with self.figures.open(encoding="utf-8") as f:
            f.seek(self._offset)
            self.tests[nodeid]["figures"] = [json.loads(line) for line in f if line.strip()]

    def _size(self) -> int:
        return self.figures.stat().st_size


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def report(tests: dict[str, dict[str, Any]], scale: float, exit_code: int, wall_s: float) -> dict[str, Any]:
    faults: dict[str, dict[str, Any]] = {}
    for nodeid, test in tests.items():
        for row in test["figures"]:
            fault = faults.setdefault(row["fault"], {"pass": True, "tests": [], "figures": []})
            if nodeid not in fault["tests"]:
                fault["tests"].append(nodeid)
            fault["pass"] = fault["pass"] and test["outcome"] == "passed"
            fault["figures"].append({k: v for k, v in row.items() if k not in ("fault", "scale", "at")})
    return {
        "pass": exit_code == 0 and bool(tests) and all(t["outcome"] == "passed" for t in tests.values()),
        "scale": scale,
        "wall_s": round(wall_s, 1),
        "pytest_exit": exit_code,
        "faults": dict(sorted(faults.items())),
        "tests": {nodeid: {k: v for k, v in t.items() if k != "figures"}
                  | {"faults": sorted({r["fault"] for r in t["figures"]})} for nodeid, t in tests.items()},
    }


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="stretch every scenario's duration (default 1: CI)")
    ap.add_argument("-k", dest="keyword", metavar="EXPR", help="only the scenarios pytest -k selects")
    ap.add_argument("--report", type=Path, metavar="FILE", help="also write the JSON report here")
    ap.add_argument("files", nargs="*", help=f"fault test files (default {MATRIX})")
    args = ap.parse_args(argv)
    if args.scale < 1:
        ap.error("--scale must be 1 or more")
    files = args.files or sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(MATRIX))
    if not files:
        ap.error(f"no fault tests match {MATRIX}")

    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        figures = Path(tmp) / "figures.jsonl"
        figures.touch()
        recorder = Recorder(figures)
        pytest_args = ["-q", "-p", "no:cacheprovider", "-o", f"timeout={TEST_TIMEOUT_S * args.scale:.0f}",
                       "-m", "chaos or not chaos", *files]  # every variant, the ones CI leaves out too
        if args.keyword:
            pytest_args += ["-k", args.keyword]
        t0 = time.monotonic()
        os.chdir(ROOT)
        with environment(**{ENV_SCALE: f"{args.scale:g}", ENV_OUT: str(figures)}), \
                contextlib.redirect_stdout(sys.stderr):
            code = int(pytest.main(pytest_args, plugins=[recorder]))
        result = report(recorder.tests, args.scale, code, time.monotonic() - t0)

    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
