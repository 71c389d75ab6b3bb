"""Every error the REST API answers is an RFC 9457 problem (``application/problem+json``), and the OpenAPI schema
says so for 401, 403, 404, 409 and 422 on every route that takes a token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from test_control_support import BRIEF, LiveServer

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("problems")) as s:
        yield s


def assert_problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert PROBLEM_FIELDS <= set(body), body
    assert body["status"] == status and isinstance(body["detail"], str) and body["detail"]
    assert body["type"].startswith("urn:streamer:problem:")
    return body


def test_an_unknown_stream_is_a_404_problem_naming_the_request(server: LiveServer) -> None:
    body = assert_problem(server.client.get("/api/streams/nope"), 404)
    assert body["instance"] == "/api/streams/nope" and body["title"] == "Not Found"
    assert "nope" in body["detail"] and body["type"] == "urn:streamer:problem:not-found"


def test_an_invalid_body_is_a_422_problem_listing_each_field(server: LiveServer) -> None:
    r = server.client.post("/api/streams", json={"name": "", "brief": BRIEF, "settings": {"fps": 999}})
    body = assert_problem(r, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"name", "settings.fps"}
    assert all(set(e) == {"loc", "field", "type", "msg"} for e in body["errors"])
    assert "settings.fps" in body["detail"]


def test_a_body_that_is_not_json_is_a_422_problem_about_the_body(server: LiveServer) -> None:
    r = server.client.post("/api/streams", content=b'{"name": "x", ', headers={"Content-Type": "application/json"})
    body = assert_problem(r, 422)
    assert [(e["loc"], e["field"], e["type"]) for e in body["errors"]] == [(["body"], "body", "json_invalid")]


def test_a_validation_problem_never_echoes_what_was_sent(server: LiveServer) -> None:
    secret = "rtmp-secret-sk_live_ZZZ"
    r = server.client.post("/api/streams", json={"name": "x", "brief": BRIEF, "settings": {"outputs": secret}})
    assert_problem(r, 422)
    assert secret not in r.text and "input" not in r.text


def test_a_refused_output_url_is_named_with_its_stream_key_masked(server: LiveServer) -> None:
    r = server.client.post("/api/streams", json={"name": "x", "brief": BRIEF,
                                                 "settings": {"outputs": ["http://ingest.example/live/sk_live_QQQ"]}})
    body = assert_problem(r, 422)
    assert body["errors"][0]["field"] == "settings.outputs" and "ingest.example/live/****" in body["detail"]
    assert "sk_live_QQQ" not in r.text


def test_a_command_the_stream_cannot_take_is_a_409_problem(server: LiveServer) -> None:
    sid = server.create_stream("stopped room")
    r = server.client.post(f"/api/streams/{sid}/commands", json={"type": "say", "text": "hello"})
    body = assert_problem(r, 409)
    assert body["type"] == "urn:streamer:problem:conflict"


def test_a_missing_token_is_a_401_problem_that_asks_for_a_bearer_token(server: LiveServer) -> None:
    r = httpx.get(f"{server.url}/api/streams")
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_route_that_does_not_exist_is_a_404_problem_too(server: LiveServer) -> None:
    assert_problem(server.client.get("/api/no-such-route"), 404)


def test_openapi_documents_the_problem_responses_on_every_route_with_a_token(server: LiveServer) -> None:
    schema = server.client.get("/openapi.json").json()
    assert set(schema["components"]["schemas"]["Problem"]["required"]) >= PROBLEM_FIELDS
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    checked = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if path in ("/healthz", "/metrics"):
                continue
            for status in ("401", "403", "404", "409", "422"):
                content = op["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
            checked += 1
    assert checked >= 20
