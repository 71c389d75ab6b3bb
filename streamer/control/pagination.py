"""Cursor pagination, the same on every list: ``?limit=N``, and the next page's URL in a ``Link: <...>;
rel="next"`` header (RFC 8288) whose ``cursor`` is opaque.

Pages are keyset pages (each row's place is its sort key, never an offset), so rows added while a client pages
are neither repeated nor skipped: a list in creation order shows them on a later page, a newest-first list (runs)
does not reach them. The transcript and comments are feeds: their next link is always there, and reading it later
gives what was added since.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Query, Request, Response

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="rows per page")]
Cursor = Annotated[str | None, Query(max_length=500, description="from a previous page's Link rel=\"next\"")]

NEXT_LINK_DOC: dict[int | str, dict[str, Any]] = {200: {"headers": {"Link": {
    "description": "the next page: `<URL>; rel=\"next\"`; absent on the last page", "schema": {"type": "string"}}}}}


def _bad_cursor() -> HTTPException:
    return HTTPException(422, [{"loc": ["query", "cursor"], "field": "cursor", "type": "cursor",
                                "msg": "not a cursor of this list; use the URL of a Link rel=\"next\""}])


def encode(kind: str, key: Sequence[Any]) -> str:
    raw = json.dumps([kind, list(key)], separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(kind: str, cursor: str | None, types: tuple[type, ...]) -> list[Any] | None:
    """The key a cursor of list ``kind`` holds (None for no cursor): values of ``types``; 422 for anything else."""
    if cursor is None:
        return None
    try:
        got_kind, key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise _bad_cursor() from None
    if (got_kind != kind or not isinstance(key, list) or len(key) != len(types)
            or not all(isinstance(v, t) and not isinstance(v, bool) for v, t in zip(key, types, strict=True))):
        raise _bad_cursor()
    return key


def link_next(request: Request, response: Response, kind: str, key: Sequence[Any]) -> None:
    """Point ``response`` at the page after ``key``."""
    url = request.url.remove_query_params(["cursor", "after_id"]).include_query_params(cursor=encode(kind, key))
    response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'


def page(rows: Sequence[T], limit: int, after: list[Any] | None, key: Callable[[T], list[Any]]) -> tuple[
        list[T], list[Any] | None]:
    """One page of ``rows`` (sorted by ``key``, ascending): up to ``limit`` rows after ``after``, and the key to
    continue from when more are left."""
    start = [r for r in rows if after is None or key(r) > after]
    chosen = start[:limit]
    return chosen, (key(chosen[-1]) if len(start) > limit else None)
