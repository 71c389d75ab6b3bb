"""Errors as RFC 9457 problem details: every error the API answers is ``application/problem+json``.

    {"type": "urn:streamer:problem:validation", "title": "Unprocessable Entity", "status": 422,
     "detail": "body.name: Field required", "instance": "/api/streams",
     "errors": [{"loc": ["body", "name"], "field": "name", "type": "missing", "msg": "Field required"}]}

``detail`` is always a string a person can read; a validation error also lists each problem in ``errors``
(``loc``, ``field``, ``type``, ``msg``) for programs. What a client sent is never echoed back (pydantic's
``input`` and ``ctx`` are dropped): a body may hold a stream key. `document_problems` writes the shape into the
OpenAPI schema for 401, 403, 404, 409 and 422 on every authenticated route.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:streamer:problem:"
DOCUMENTED_STATUSES = (401, 403, 404, 409, 422)
# a problem's ``type`` by status; a more precise one (e.g. an idempotency key reused) is named where it is raised
_TYPES = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
          409: "conflict", 413: "too-large", 415: "unsupported-media-type", 422: "validation",
          429: "too-many-requests", 500: "internal", 503: "unavailable"}
_SKIPPED_LOC = ("function-after", "function-before", "function-wrap")  # pydantic validator frames, not fields


class ProblemError(BaseModel):
    """One invalid field."""

    loc: list[str | int] = Field(description="where: ['body', 'settings', 'fps'], ['query', 'limit'], ...")
    field: str = Field(description="the same place as one dotted name, without body/query: settings.fps")
    type: str = Field(description="what is wrong, machine-readable: missing, int_parsing, voice, ...")
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description=f"a URI naming the kind of problem ({TYPE_PREFIX}not-found, ...validation, "
                      "...conflict, ...idempotency-key-reused, ...)")
    title: str = Field(description="the HTTP status phrase")
    status: int
    detail: str = Field(description="what went wrong, for a person")
    instance: str = Field(description="the request path")
    errors: list[ProblemError] | None = Field(default=None, description="validation errors: one per field")


def problem_type(status: int, name: str | None = None) -> str:
    return TYPE_PREFIX + (name or _TYPES.get(status, "about-blank" if status < 500 else "internal"))


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(request: Request, status: int, detail: str, *, errors: list[dict[str, Any]] | None = None,
                     kind: str | None = None, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = Problem(type=problem_type(status, kind), title=_title(status), status=status, detail=detail,
                   instance=request.url.path,
                   errors=None if errors is None else [ProblemError(**e) for e in errors])
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE,
                        headers=dict(headers or {}))


def field_name(loc: Iterable[str | int]) -> str:
    """``['body', 'promotions', 1]`` -> ``promotions[1]``; ``['query', 'limit']`` -> ``limit``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in ("body", "query", "path", "header", "cookie") or out:
            out += f".{part}" if out else part
    return out or "body"


def clean_errors(raw: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """pydantic / FastAPI errors in the problem shape: no ``input``, no ``ctx``, no ``url``."""
    errors = []
    for e in raw:
        loc = [p for p in e.get("loc", ()) if p not in _SKIPPED_LOC]
        if e.get("type") == "json_invalid":  # its loc ends in a character offset, not a field
            loc = loc[:1]
        errors.append({"loc": loc, "field": str(e.get("field") or field_name(loc)), "type": str(e.get("type", "")),
                       "msg": str(e.get("msg", ""))})
    return errors


def summary(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:10]) or "invalid request"


async def http_exception(request: Request, e: Exception) -> JSONResponse:
    assert isinstance(e, HTTPException)
    detail: Any = e.detail
    if isinstance(detail, list):  # a route named the fields itself (same shape as a validation error)
        errors = clean_errors(detail)
        return problem_response(request, e.status_code, summary(errors), errors=errors, headers=e.headers)
    return problem_response(request, e.status_code, str(detail), headers=e.headers)


async def validation_error(request: Request, e: Exception) -> JSONResponse:
    assert isinstance(e, RequestValidationError)
    errors = clean_errors(e.errors())
    return problem_response(request, 422, summary(errors), errors=errors)


async def server_error(request: Request, e: Exception) -> JSONResponse:
    # Starlette re-raises ``e`` after this response, so the server logs the traceback once
    return problem_response(request, 500, "internal error (logged on the server)")


def _problem_response(status: int, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


_DESCRIPTIONS = {401: "missing or invalid token", 403: "the token's role or stream list does not allow this",
                 404: "no such resource, or the token may not see it", 409: "the resource's state does not allow "
                 "this now, or an Idempotency-Key was reused with another body", 422: "invalid request: `errors` "
                 "names each field", 429: "over capacity"}


def document_problems(schema: dict[str, Any], open_paths: Iterable[str] = ()) -> dict[str, Any]:
    """Add the problem responses to every operation of an OpenAPI schema (in place; returned): 401, 403, 404,
    409 and 422 everywhere but ``open_paths`` (no token, no input: only their own responses). FastAPI's own 422
    shape (HTTPValidationError) is replaced: it is not what the API answers."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ProblemError, Problem):
        components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components[model.__name__].pop("$defs", None)
    skip = set(open_paths)
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "patch", "delete") or path in skip:
                continue
            responses = op.setdefault("responses", {})
            statuses = [*DOCUMENTED_STATUSES, *(s for s in (429,) if str(s) in responses)]
            for status in statuses:
                responses[str(status)] = _problem_response(status, _DESCRIPTIONS[status])
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
