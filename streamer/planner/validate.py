"""Checks an LLM-written product block before it may be spoken, and words the problems as feedback for the model.

A block passes when it parses as the JSON shape the prompt asks for, every sentence passes the claim guard (the
compliance lint, and every claim grounded in the brief for this product: a "1元秒杀" or a price that equals an hour
count is refused) and the one-breath length, and together the sentences name the product, state the price, anchor it
on the list price, tell the link number and cover every legal selling point.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..brief import Brief
from ..claims import PHRASE_KINDS, ClaimGuard, numbers_in
from .prepare import SpeakableProduct
from .rundown import Cue, Segment, SegmentKind
from .timing import MAX_SENTENCE_S, estimate_seconds

_CUES: dict[SegmentKind, Cue] = {SegmentKind.INTRO: "present", SegmentKind.CTA: "point_cart"}
_EN_STOP = frozenset("a an and the to of for in on with it its is are this that your you".split())
COVERAGE = 0.6  # share of a selling point's words (or character pairs) the block must contain


@dataclass
class Checked:
    """The parsed segments (when parsing worked) and every problem found."""

    segments: list[Segment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.segments) and not self.problems


def _json_object(text: str) -> object:
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object")
    return json.loads(text[start:end + 1])


def _units(text: str, language: str) -> set[str]:
    text = text.lower()
    if language == "zh":
        chars = re.sub(r"[^\w]", "", text)
        return {chars[i:i + 2] for i in range(len(chars) - 1)} or {chars}
    return {w for w in re.findall(r"[a-z0-9]+", text) if w not in _EN_STOP}


def covers(point: str, said: str, language: str) -> bool:
    """Whether ``said`` states ``point``: most of its words, and every number in it."""
    want = _units(point, language)
    have = _units(said, language)
    hit = len(want & have) / len(want) if want else 1.0
    said_numbers = {n.value for n in numbers_in(said)}
    return hit >= COVERAGE and all(n.value in said_numbers for n in numbers_in(point))


def parse_block(text: str, product_id: str, language: str) -> tuple[list[Segment], list[str]]:
    zh = language == "zh"
    try:
        data = _json_object(text)
    except ValueError:
        return [], ["输出不是合法的 JSON" if zh else "the answer is not valid JSON"]
    raw = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        return [], ["JSON 里缺少 segments 列表" if zh else 'the JSON has no "segments" list']
    segments: list[Segment] = []
    problems: list[str] = []
    for i, item in enumerate(raw):
        kind = item.get("kind") if isinstance(item, dict) else None
        sentences = item.get("sentences") if isinstance(item, dict) else None
        if isinstance(sentences, str):
            sentences = [sentences]
        if not isinstance(kind, str) or kind not in SegmentKind._value2member_map_ \
                or kind in ("welcome", "transition", "recap"):
            problems.append(f"segments[{i}] 的 kind {kind!r} 无效" if zh else f"segments[{i}]: unknown kind {kind!r}")
            continue
        if not isinstance(sentences, list) or not all(isinstance(s, str) and s.strip() for s in sentences) \
                or not sentences:
            problems.append(f"segments[{i}] 缺少 sentences" if zh else f"segments[{i}]: sentences must be texts")
            continue
        k = SegmentKind(kind)
        texts = [s.strip() for s in sentences]
        segments.append(Segment(kind=k, product_id=product_id, sentences=texts, cue=_CUES.get(k), source="llm",
                                est_s=round(sum(estimate_seconds(s, language) for s in texts), 2)))
    if segments and not any(s.cue == "present" for s in segments):
        segments[0] = segments[0].model_copy(update={"cue": "present"})  # the scene still needs a product switch
    return segments, problems


def check_block(text: str, brief: Brief, sp: SpeakableProduct, guard: ClaimGuard | None = None) -> Checked:
    """Parse and validate one LLM answer for product ``sp`` (``guard``: the brief's, when the caller holds one)."""
    lang = brief.language
    zh = lang == "zh"
    segments, problems = parse_block(text, sp.id, lang)
    if not segments:
        return Checked([], problems)
    guard = guard or ClaimGuard(brief)
    sentences = [s for seg in segments for s in seg.sentences]
    for s in sentences:
        for bad in guard.problems(s, sp.id):
            if bad.compliance:
                problems.append(f"「{s}」含违规用语「{bad.text}」：{bad.suggestion}" if zh else
                                f'"{s}" uses "{bad.text}" ({bad.category}): {bad.suggestion}')
            elif bad.claim is not None and bad.claim.kind in PHRASE_KINDS:
                problems.append(f"「{s}」里的「{bad.text}」是简报无法证实的宣称，删掉它" if zh else
                                f'"{s}" makes a claim the facts cannot back ("{bad.text}", {bad.category}); remove it')
            else:
                problems.append(f"「{s}」里的「{bad.text}」不在商品事实中，删掉它" if zh else
                                f'"{s}" says "{bad.text}", which is not in the product facts; remove it')
        if estimate_seconds(s, lang) > MAX_SENTENCE_S:
            problems.append(f"「{s}」太长，拆成更短的句子" if zh else f'"{s}" is too long; split it into short sentences')
    said = "\n".join(sentences)
    said_numbers = [{n.value for n in numbers_in(s)} for s in sentences]
    p = sp.product
    if sp.name.lower() not in said.lower():
        problems.append(f"没有说出商品名「{sp.name}」" if zh else f'the product name "{sp.name}" is never said')
    if not any(p.price in ns for ns in said_numbers):
        problems.append("没有说出今天的价格" if zh else "today's price is never stated")
    if p.list_price and p.list_price > p.price and not any({p.price, p.list_price} <= ns for ns in said_numbers):
        problems.append("没有用日常价对比今天的价格（同一句里说出两个价格）" if zh else
                        "the price is not anchored: say the regular and today's price in one sentence")
    if p.link is not None and not any(seg.kind == SegmentKind.CTA and str(p.link) in " ".join(seg.sentences)
                                      for seg in segments):
        problems.append(f"cta 里没有说出{p.link}号链接" if zh else f"the cta never says link number {p.link}")
    for point in sp.points:
        if not covers(point, said, lang):
            problems.append(f"没有讲到卖点「{point}」" if zh else f'the selling point "{point}" is not covered')
    return Checked(segments, problems)
