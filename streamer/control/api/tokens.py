"""REST: who am I, and API tokens (admin only). A token's secret is returned once, at creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from .. import pagination
from ..auth import Principal, authenticate, require
from ..schemas import Me, TokenCreate, TokenCreated, TokenOut
from ..services import Services
from .deps import RowId, services

router = APIRouter(tags=["auth"])

Svc = Annotated[Services, Depends(services)]
Admin = Annotated[Principal, Depends(require("tokens"))]


@router.get("/api/me", response_model=Me)
def me(principal: Annotated[Principal, Depends(authenticate)]) -> Me:
    return Me(name=principal.name, role=principal.role,  # type: ignore[arg-type]
              streams=None if principal.streams is None else sorted(principal.streams))


@router.get("/api/tokens", response_model=list[TokenOut], responses=pagination.NEXT_LINK_DOC)
def list_tokens(request: Request, response: Response, svc: Svc, _: Admin, limit: pagination.Limit = 100,
                cursor: pagination.Cursor = None) -> list[TokenOut]:
    """In the order they were created; the next page is in the ``Link`` header."""
    after = pagination.decode("tokens", cursor, (int,))
    rows, more = pagination.page(svc.store.list_tokens(), limit, after, lambda t: [t.id])
    if more is not None:
        pagination.link_next(request, response, "tokens", more)
    return [TokenOut.model_validate(t, from_attributes=True) for t in rows]


@router.post("/api/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, svc: Svc, _: Admin) -> TokenCreated:
    row, token = svc.store.create_token(body.name, body.role, body.streams)
    return TokenCreated(**TokenOut.model_validate(row, from_attributes=True).model_dump(), token=token)


@router.delete("/api/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RowId, svc: Svc, principal: Admin) -> Response:
    if token_id == principal.token_id:
        raise HTTPException(409, "a token cannot revoke itself; use another admin token")
    if not svc.store.revoke_token(token_id):
        raise HTTPException(404, f"no active token {token_id}")
    svc.auth.forget()
    return Response(status_code=204)
