"""An `update_product` command applied to a brief: the new brief, its problems named by the command's fields, and
the words the transcript keeps.

The same change is applied in three places, each to its own copy of the brief: the stored one (the controller),
the one a restarted worker is built from (the supervisor) and the live session's (the worker). Each result is
validated as a whole brief, so every rule of the brief model holds after an update exactly as at load time.

    data, brief = updated_brief(stored, UpdateProduct(type="update_product", product_id="cup-01", price=79))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..brief import Brief, BriefValidationError, Product, parse_brief
from ..claims import check_brief
from .schemas import PRODUCT_FACTS, UpdateProduct

__all__ = ["InvalidUpdate", "UnknownProduct", "changed_facts", "check_promotions", "update_note", "updated_brief"]

_PRODUCT_FIELD = re.compile(r"products\[(\d+)\]\.(.+)")


class UnknownProduct(KeyError):
    """The brief has no product with that id."""


class InvalidUpdate(ValueError):
    """The update would make an invalid brief, or says what must not be said. ``problems`` are in the API's 422
    shape (``loc``, ``field``, ``type``, ``msg``), naming the command's field where the problem is in it."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['msg']}" for p in problems))
        self.problems = problems


def _problem(path: str, kind: str, message: str, index: int) -> dict[str, Any]:
    m = _PRODUCT_FIELD.fullmatch(path)
    if m and int(m[1]) == index:  # in the updated product: name the command's field (list_price, promotions[1])
        field = m[2]
        loc: list[str | int] = ["body", *(int(x) if x.isdigit() else x
                                          for x in field.replace("]", "").replace("[", ".").split("."))]
    else:
        field = f"brief.{path}"
        loc = ["body", "brief", *path.replace("]", "").replace("[", ".").split(".")]
    return {"loc": loc, "field": field, "type": kind, "msg": message}


def updated_brief(data: Mapping[str, Any], change: UpdateProduct) -> tuple[dict[str, Any], Brief]:
    """``data`` with ``change`` applied, and the brief it validates to. Raises `UnknownProduct`, `InvalidUpdate`."""
    try:
        patched = change.patched(data)
    except KeyError:
        ids = [str(p.get("id")) for p in data.get("products") or [] if isinstance(p, Mapping)]
        raise UnknownProduct(f"unknown product {change.product_id!r}; the brief has {', '.join(ids)}") from None
    index = next(i for i, p in enumerate(patched["products"]) if p.get("id") == change.product_id)
    try:
        return patched, parse_brief(patched, "update_product")
    except BriefValidationError as e:
        raise InvalidUpdate([_problem(p.path, p.kind, p.message, index) for p in e.problems]) from None


def check_promotions(brief: Brief, change: UpdateProduct) -> None:
    """New promotions are said on air: one the brief check refuses (an invented original price, a superlative,
    a promise the brief does not back) is an `InvalidUpdate` naming it, with the check's reason and advice."""
    if "promotions" not in change.changes():
        return
    index = next(i for i, p in enumerate(brief.products) if p.id == change.product_id)
    prefix = f"products[{index}].promotions["
    problems = [_problem(f.path, f.category, f"{f.message} ({f.text!r}); {f.suggestion}", index)
                for f in check_brief(brief).findings if f.path.startswith(prefix)]
    if problems:
        raise InvalidUpdate(problems)


def changed_facts(old: Product, new: Product) -> dict[str, list[Any]]:
    """fact -> [before, after], for the facts that differ."""
    return {k: [getattr(old, k), getattr(new, k)] for k in PRODUCT_FACTS if getattr(old, k) != getattr(new, k)}


def _value(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "[" + ", ".join(v) + "]"
    return str(v)


def update_note(product_id: str, changes: Mapping[str, Any], by: str | None) -> str:
    """The transcript's words for an update: ``update_product cup-01 by ops: price 99 -> 79; stock 500 -> 0``."""
    parts = "; ".join(f"{k} {_value(v[0])} -> {_value(v[1])}" for k, v in changes.items()) or "no change"
    return f"update_product {product_id} by {by or 'unknown'}: {parts}"
