"""`streamer plan BRIEF [--format json|md] [--loops N | --hours H] [--seed S] [--start HH:MM]`: print the show.

``--hours`` plans by estimated speaking time instead of loops, and both print the repetition figures: the shortest
time between two sayings of one sentence and the share of distinct sentences (a looped show reads as a recording).
``--start`` gives the clock time the show starts at, for lines that fit the time of day.
With ``--llm`` (or STREAMER_LLM_BACKEND set) product blocks are written by an LLM and validated; when the model is
unreachable the plan falls back to templates and says so in its notes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from ..brief import load_brief
from ..errors import ConfigError
from ..llm import LLMConfig, create_chat
from ..planner import Rundown, TemplatePlanner
from ..planner.llm import LLMPlanner
from ..planner.timing import ShowClock

MAX_HOURS = 48.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="print the rundown (script) a brief becomes")
    p.add_argument("brief", help="brief file (YAML or JSON)")
    p.add_argument("--format", choices=("json", "md"), default="md", help="output format (default md)")
    p.add_argument("--loops", type=int, default=1, metavar="N", help="how many loops to plan (default 1)")
    p.add_argument("--hours", type=float, metavar="H", help="plan this many hours of show instead of loops")
    p.add_argument("--start", metavar="HH:MM", help="clock time the show starts at (today), e.g. 20:30")
    p.add_argument("--seed", type=int, default=0, help="variation seed (default 0)")
    p.add_argument("--llm", action="store_true", help="write product blocks with an LLM (config from options/env)")
    p.add_argument("--llm-backend", choices=("openai", "transformers"), help="default openai with --llm")
    p.add_argument("--llm-base-url", metavar="URL", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--llm-model", metavar="NAME|PATH", help="model name, or a folder under models/ for transformers")
    p.add_argument("--variants", type=int, default=3, metavar="N", help="LLM versions per product (default 3)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.loops <= 1000:
        raise ConfigError(f"--loops {args.loops}: must be between 1 and 1000")
    if args.hours is not None and not 0 < args.hours <= MAX_HOURS:
        raise ConfigError(f"--hours {args.hours:g}: must be more than 0 and at most {MAX_HOURS}")
    start = _start(args.start)
    brief = load_brief(args.brief)
    config = LLMConfig.from_env(backend=args.llm_backend or ("openai" if args.llm else None),
                                base_url=args.llm_base_url, model=args.llm_model)
    chat = create_chat(config)
    planner: TemplatePlanner
    if chat is None:
        planner = TemplatePlanner(brief, args.seed, start=start)
    else:
        planner = LLMPlanner(brief, chat, args.seed, variants=max(1, args.variants), temperature=config.temperature,
                             max_tokens=config.max_tokens)
        planner.clock = ShowClock(start)
        asyncio.run(planner.generate(args.variants if args.hours else min(args.variants, args.loops)))
    rundown = planner.plan_for(args.hours * 3600) if args.hours else planner.plan(args.loops)
    for note in rundown.notes:
        print(f"streamer plan: note: {note}", file=sys.stderr)
    sys.stdout.write(rundown.model_dump_json(indent=2) + "\n" if args.format == "json" else to_markdown(rundown, brief))
    return 0


def _start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        clock = datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise ConfigError(f"--start {text!r}: expected a clock time such as 20:30") from None
    return datetime.combine(datetime.now().date(), clock)


def to_markdown(rundown: Rundown, brief: object) -> str:
    names = {p.id: p.name for p in getattr(brief, "products", [])}
    gap = rundown.min_repeat_interval_min
    out = [f"# Rundown ({rundown.planner} planner, seed {rundown.seed})", "",
           f"- language: {rundown.language}",
           f"- loops: {len(rundown.loops)}, estimated {rundown.est_s:.0f} s in all ({rundown.est_s / 3600:.2f} h)",
           f"- distinct-sentence ratio: {rundown.distinct_sentence_ratio:.3f}",
           "- shortest interval between two identical sentences: "
           + ("none repeats" if gap is None else f"{gap:.1f} min")]
    if rundown.start is not None:
        out.append(f"- starts at: {rundown.start:%H:%M}")
    out += [f"- note: {n}" for n in rundown.notes]
    for loop in rundown.loops:
        out += ["", f"## Loop {loop.index + 1} (about {loop.est_s:.0f} s)"]
        current = None
        for seg in loop.segments:
            if seg.product_id != current:
                current = seg.product_id
                out += ["", f"### {names.get(current, current)} (`{current}`)", ""]
            cue = f" _[{seg.cue}]_" if seg.cue else ""
            out.append(f"- **{seg.kind.value}**{cue} {' '.join(seg.sentences)} ({seg.est_s:.1f} s)")
    if rundown.dropped:
        out += ["", "## Not said (failed the compliance lint)", ""]
        out += [f"- `{d.field}` “{d.text}”: {'; '.join(d.reasons)}" for d in rundown.dropped]
    return "\n".join(out) + "\n"
