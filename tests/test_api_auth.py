"""Auth: bearer tokens with roles; /healthz and /metrics open; everything under /api and /ws needs a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from test_control_support import ADMIN, BRIEF, SMALL, LiveServer

from streamer.control import create_app
from streamer.control.config import ServiceSettings


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("auth")) as s:
        yield s


def token_for(server: LiveServer, role: str, streams: list[str] | None = None) -> str:
    r = server.client.post("/api/tokens", json={"name": f"a {role}", "role": role, "streams": streams})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def as_token(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def test_healthz_and_metrics_are_open(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/healthz").json()["ok"] is True
    metrics = httpx.get(f"{server.url}/metrics")
    assert metrics.status_code == 200 and "streamer_streams_running" in metrics.text


@pytest.mark.parametrize("path", ["/api/streams", "/api/me", "/api/tokens", "/api/brief-schema"])
def test_api_without_a_token_is_401(server: LiveServer, path: str) -> None:
    r = httpx.get(server.url + path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_wrong_token_is_401_too(server: LiveServer) -> None:
    with as_token(server, "st_not_a_real_token") as c:
        assert c.get("/api/streams").status_code == 401


async def test_websocket_without_a_token_is_refused(server: LiveServer) -> None:
    for url in (server.ws_url(None), server.ws_url("st_wrong")):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(url):
                pass
        assert refused.value.response.status_code == 403


def test_operator_cannot_create_or_list_tokens(server: LiveServer) -> None:
    with as_token(server, token_for(server, "operator")) as op:
        assert op.get("/api/me").json()["role"] == "operator"
        assert op.post("/api/tokens", json={"name": "sneaky", "role": "admin"}).status_code == 403
        assert op.get("/api/tokens").status_code == 403
        # but it may run streams
        assert op.post("/api/streams", json={"name": "op room", "brief": BRIEF, "settings": SMALL}).status_code == 201


def test_developer_steers_but_does_not_edit(server: LiveServer) -> None:
    sid = server.create_stream("dev room")
    with as_token(server, token_for(server, "developer")) as dev:
        assert dev.get(f"/api/streams/{sid}").status_code == 200
        assert dev.post("/api/streams", json={"name": "x", "brief": BRIEF}).status_code == 403
        assert dev.delete(f"/api/streams/{sid}").status_code == 403
        # allowed to command; the stream is not running, so the session cannot take it (409, not 403)
        assert dev.post(f"/api/streams/{sid}/commands", json={"type": "interrupt"}).status_code == 409


def test_a_token_limited_to_one_stream_sees_only_that_one(server: LiveServer) -> None:
    mine, other = server.create_stream("mine"), server.create_stream("other")
    with as_token(server, token_for(server, "operator", [mine])) as op:
        assert [s["id"] for s in op.get("/api/streams").json()] == [mine]
        assert op.get(f"/api/streams/{other}").status_code == 404
        assert op.post("/api/streams", json={"name": "x", "brief": BRIEF}).status_code == 403


def test_revoked_tokens_stop_working(server: LiveServer) -> None:
    r = server.client.post("/api/tokens", json={"name": "temp", "role": "developer"})
    token, token_id = r.json()["token"], r.json()["id"]
    with as_token(server, token) as dev:
        assert dev.get("/api/me").status_code == 200
        assert server.client.delete(f"/api/tokens/{token_id}").status_code == 204
        assert dev.get("/api/me").status_code == 401


def test_tokens_are_stored_hashed(server: LiveServer) -> None:
    token = token_for(server, "developer")
    listed = server.client.get("/api/tokens").json()
    assert all("token" not in t for t in listed)
    rows = server.services.store.list_tokens()
    assert token not in {r.token_hash for r in rows} and all(len(r.token_hash) == 64 for r in rows)
    assert ADMIN not in {r.token_hash for r in rows}


def test_first_start_generates_and_prints_an_admin_token_once(tmp_path: Path,
                                                              capfd: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    settings = ServiceSettings(db_url=f"sqlite:///{tmp_path / 'fresh.db'}", admin_token=None)
    with TestClient(create_app(settings)) as c:
        printed = capfd.readouterr().err
        token = printed.split("store it now):")[1].split()[0]
        assert c.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "admin"
    with TestClient(create_app(settings)):
        assert "admin token" not in capfd.readouterr().err  # once: the second start prints nothing


def test_tokens_in_urls_are_kept_out_of_the_access_log() -> None:
    import logging

    from streamer.commands.serve import RedactTokens

    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', (
        "127.0.0.1:5000", "GET", "/api/streams/s1/preview.mjpg?token=st_secret&t=1", "1.1", 200), None)
    RedactTokens().filter(record)
    assert "st_secret" not in record.getMessage() and "token=***&t=1" in record.getMessage()
