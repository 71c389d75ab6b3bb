"""`streamer lint FILE|-`: report illegal or risky wording; exit 1 when anything is found, 0 when clean.

FILE is plain text (each line is linted), a brief (.yaml/.yml/.json with products: every text field a host may say)
or a rundown printed by `streamer plan --format json` (every sentence). ``-`` reads standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..compliance import Finding, lint
from ..errors import ConfigError

Located = tuple[str, str]  # (where, text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lint", help="check text, a brief or a rundown against the compliance rules")
    p.add_argument("file", help="a text file, a brief, a rundown JSON, or - for standard input")
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format (default text)")
    p.set_defaults(func=run)


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{name}: cannot read ({e})") from None


def _structured(name: str, text: str) -> Any:
    """The parsed document when FILE is a brief or a rundown, else None (plain text)."""
    suffix = Path(name).suffix.lower()
    if suffix not in (".json", ".yaml", ".yml") and not (name == "-" and text.lstrip().startswith("{")):
        return None
    try:
        data = json.loads(text) if suffix == ".json" or name == "-" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) and ("products" in data or "loops" in data) else None


def _brief_texts(data: dict[str, Any]) -> Iterator[Located]:
    for i, p in enumerate(data.get("products") or []):
        if not isinstance(p, dict):
            continue
        at = f"products[{i}]"
        for key in ("name", "shipping", "after_sales"):
            if isinstance(p.get(key), str):
                yield f"{at}.{key}", p[key]
        for key in ("selling_points", "promotions"):
            for j, s in enumerate(p.get(key) or []):
                yield f"{at}.{key}[{j}]", str(s)
        for k, v in (p.get("specs") or {}).items():
            yield f"{at}.specs.{k}", f"{k} {v}"
        for j, f in enumerate(p.get("faq") or []):
            if isinstance(f, dict):  # the host reads the question aloud too
                yield f"{at}.faq[{j}].q", str(f.get("q", ""))
                yield f"{at}.faq[{j}].a", str(f.get("a", ""))
    room = data.get("room") or {}
    if isinstance(room, dict) and isinstance(room.get("persona"), str):
        yield "room.persona", room["persona"]


def _rundown_texts(data: dict[str, Any]) -> Iterator[Located]:
    for i, loop in enumerate(data.get("loops") or []):
        for j, seg in enumerate(loop.get("segments") or []):
            for k, s in enumerate(seg.get("sentences") or []):
                yield f"loops[{i}].segments[{j}].sentences[{k}]", str(s)


def located_texts(name: str, text: str) -> Iterator[Located]:
    data = _structured(name, text)
    if data is None:
        for n, line in enumerate(text.splitlines(), start=1):
            yield f"{n}", line
    elif "loops" in data:
        yield from _rundown_texts(data)
    else:
        yield from _brief_texts(data)


def _where(name: str, loc: str, f: Finding) -> str:
    return f"{name}:{loc}:{f.start + 1}" if loc.isdigit() else f"{name}:{loc}"


def run(args: argparse.Namespace) -> int:
    text = _read(args.file)
    name = "<stdin>" if args.file == "-" else args.file
    report: list[dict[str, Any]] = []
    checked = 0
    for loc, sentence in located_texts(args.file, text):
        checked += 1
        for f in lint(sentence):
            report.append({"where": _where(name, loc, f), "sentence": sentence, **f.to_dict()})
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for r in report:
            print(f"{r['where']}: {r['category']} “{r['text']}”: {r['message']} (suggestion: {r['suggestion']})")
    print(f"streamer lint: {len(report)} finding(s) in {checked} text(s)", file=sys.stderr)
    return 1 if report else 0
