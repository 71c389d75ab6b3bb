"""`streamer lint FILE|-`: report illegal, risky or unbacked wording; exit 1 when anything is found, 0 when clean.

FILE is plain text (each line is linted), a brief (.yaml/.yml/.json with products) or a rundown printed by
`streamer plan --format json` (every sentence). ``-`` reads standard input. A brief is checked as a brief
(``claims.check_brief``): the compliance lint on every text a host may say, plus the claims that need the brief to
judge (a 原价 that is not ``list_price``, an expert who recommends it, next-day delivery ``shipping`` does not offer),
one finding per line with its field path. A file that cannot be read, a YAML or JSON syntax error (with its line and
column) and a brief that does not validate exit 2: nothing was checked, so "0 findings" would be a lie.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..brief import parse_brief, yaml_error
from ..claims import check_brief
from ..compliance import lint
from ..errors import BriefError, ConfigError

Located = tuple[str, str]  # (where, text)
_STRUCTURED = (".json", ".yaml", ".yml")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lint", help="check text, a brief or a rundown against the compliance rules and the brief")
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
    """The parsed document when FILE is a brief or a rundown, else None (plain text).

    A .json/.yaml file that does not parse is an error with its line and column; standard input that merely looks
    like JSON and is not is read as text.
    """
    suffix = Path(name).suffix.lower()
    if name == "-":
        if not text.lstrip().startswith("{"):
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return None
    elif suffix not in _STRUCTURED:
        return None
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise BriefError(f"{name}: not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise BriefError(f"{name}: {yaml_error(e)}") from None
    return data if isinstance(data, dict) and ("products" in data or "loops" in data) else None


def _rundown_texts(data: dict[str, Any]) -> Iterator[Located]:
    for i, loop in enumerate(data.get("loops") or []):
        for j, seg in enumerate(loop.get("segments") or []):
            for k, s in enumerate(seg.get("sentences") or []):
                yield f"loops[{i}].segments[{j}].sentences[{k}]", str(s)


def _text_report(name: str, located: Iterator[Located]) -> tuple[list[dict[str, Any]], int]:
    report: list[dict[str, Any]] = []
    checked = 0
    for loc, sentence in located:
        checked += 1
        for f in lint(sentence):
            where = f"{name}:{loc}:{f.start + 1}" if loc.isdigit() else f"{name}:{loc}"
            report.append({"where": where, "sentence": sentence, **f.to_dict()})
    return report, checked


def _brief_report(name: str, data: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    checked = check_brief(parse_brief(data, name))
    fields = [f for p in checked.products for f in p.fields] + checked.room
    report = [{"where": f"{name}:{x.path}:{x.start + 1}", "path": x.path, "sentence": f.text,
               "category": x.category, "span": [x.start, x.end], "text": x.text, "message": x.message,
               "suggestion": x.suggestion}
              for f in fields for x in f.findings]
    return report, len(fields)


def run(args: argparse.Namespace) -> int:
    text = _read(args.file)
    name = "<stdin>" if args.file == "-" else args.file
    data = _structured(args.file, text)
    if data is None:
        report, checked = _text_report(name, ((f"{n}", line) for n, line in enumerate(text.splitlines(), start=1)))
    elif "loops" in data:
        report, checked = _text_report(name, _rundown_texts(data))
    else:
        report, checked = _brief_report(name, data)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for r in report:
            print(f"{r['where']}: {r['category']} “{r['text']}”: {r['message']} (suggestion: {r['suggestion']})")
    print(f"streamer lint: {len(report)} finding(s) in {checked} text(s)", file=sys.stderr)
    return 1 if report else 0
