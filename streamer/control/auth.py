"""Bearer tokens with roles. Every /api route and /ws need one; /healthz and /metrics are open.

    admin      everything, including tokens and reading stream keys unmasked
    operator   streams and schedules: create, edit, delete, start, stop, steer
    developer  read, start/stop and steer streams (the /ws integration role); no edits, no tokens

A token may be limited to some streams (``streams``); it then sees only those and cannot create new ones.
Browsers cannot set headers on a WebSocket or an <img>, so ``?token=`` is accepted as well.

The first admin token: ``STREAMER_ADMIN_TOKEN`` if set (it is stored hashed and always valid), else one is
generated and printed once at first start.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, WebSocket, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .storage import Store

log = logging.getLogger(__name__)

Permission = Literal["read", "command", "manage", "tokens", "secrets"]
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "command", "manage", "tokens", "secrets"}),
    "operator": frozenset({"read", "command", "manage"}),
    "developer": frozenset({"read", "command"}),
}
CACHE_TTL_S = 5.0  # a revoked token stops working within this long; saves a query per request
ADMIN_ENV = "STREAMER_ADMIN_TOKEN"


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: int
    name: str
    role: str
    streams: frozenset[str] | None  # None: every stream

    def can(self, permission: Permission) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def sees(self, stream_id: str) -> bool:
        return self.streams is None or stream_id in self.streams


class TokenAuth:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    def lookup(self, token: str) -> Principal | None:
        """Blocking (may query the database): call from a worker thread."""
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and now - hit[0] < CACHE_TTL_S:
            return hit[1]
        row = self.store.find_token(token) if token else None
        principal = None if row is None else Principal(row.id, row.name, row.role,
                                                       None if row.streams is None else frozenset(row.streams))
        if len(self._cache) > 10_000:  # bound memory under a flood of wrong tokens
            self._cache.clear()
        self._cache[token] = (now, principal)
        return principal

    def forget(self) -> None:
        self._cache.clear()

    def bootstrap(self, env: str | None = None) -> str | None:
        """Make sure an admin token exists; returns a generated one (to print once) or None.

        ``env`` is the token from ``STREAMER_ADMIN_TOKEN`` (``ServiceSettings.admin_token``)."""
        env = (env or "").strip()
        if env:
            if self.store.find_token(env) is None:
                self.store.create_token("admin (from environment)", "admin", token=env)
            return None
        if self.store.has_admin():
            return None
        _, token = self.store.create_token("admin (generated)", "admin")
        return token


def announce_admin_token(token: str) -> None:
    # stderr, not the log: it must reach the person starting the service even with logging turned down
    print(f"streamer serve: created the first admin token (shown once, store it now):\n  {token}",
          file=sys.stderr, flush=True)


_bearer = HTTPBearer(auto_error=False, description="an API token: Authorization: Bearer st_...")


def _unauthorized(detail: str = "missing or invalid token") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request,
                 creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """FastAPI dependency (sync: runs in the thread pool, so the lookup may block)."""
    token = creds.credentials if creds is not None else request.query_params.get("token", "")
    auth: TokenAuth = request.app.state.services.auth
    principal = auth.lookup(token.strip())
    if principal is None:
        raise _unauthorized()
    return principal


def require(permission: Permission):  # noqa: ANN201 - returns a FastAPI dependency
    def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.can(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {principal.role} role may not do this "
                                f"(needs {permission!r})")
        return principal
    return dependency


def websocket_token(ws: WebSocket) -> str:
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return ws.query_params.get("token", "").strip()
