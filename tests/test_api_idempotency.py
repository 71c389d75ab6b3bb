"""``Idempotency-Key`` on REST commands: the same key and body again gets the first response and is not applied
twice; the same key with another body is a 409 problem. (The /ws side, a repeated ``id``, is in test_ws_schema.py.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_control_support import LiveServer

PRICE = {"type": "update_product", "product_id": "lamp-2", "price": 21}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("idempotency")) as s:
        yield s


def updates(server: LiveServer, sid: str) -> int:
    return sum(line["source"] == "update" for line in server.client.get(f"/api/streams/{sid}/transcript").json())


def test_a_command_retried_with_its_key_is_applied_once(server: LiveServer) -> None:
    sid = server.create_stream("retry")
    key = {"Idempotency-Key": "price-drop-1"}
    first = server.client.post(f"/api/streams/{sid}/commands", json=PRICE, headers=key)
    again = server.client.post(f"/api/streams/{sid}/commands", json=PRICE, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert updates(server, sid) == 1


def test_without_a_key_the_same_command_is_applied_each_time(server: LiveServer) -> None:
    sid = server.create_stream("no key")
    for _ in range(2):
        assert server.client.post(f"/api/streams/{sid}/commands", json=PRICE).status_code == 200
    assert updates(server, sid) == 2


def test_creating_a_stream_twice_with_one_key_makes_one_stream(server: LiveServer) -> None:
    body = {"name": "once", "brief_yaml": "language: en\nproducts: [{id: a, name: A, price: 5, currency: USD}]"}
    first = server.client.post("/api/streams", json=body, headers={"Idempotency-Key": "create-once"})
    again = server.client.post("/api/streams", json=body, headers={"Idempotency-Key": "create-once"})
    assert first.status_code == again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert [s["name"] for s in server.client.get("/api/streams?limit=500").json()].count("once") == 1


def test_the_same_key_with_another_body_is_a_409_problem_and_changes_nothing(server: LiveServer) -> None:
    sid = server.create_stream("reused")
    key = {"Idempotency-Key": "k-reused"}
    server.client.post(f"/api/streams/{sid}/commands", json=PRICE, headers=key)
    r = server.client.post(f"/api/streams/{sid}/commands", json={**PRICE, "price": 19}, headers=key)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:streamer:problem:idempotency-key-reused"
    assert server.client.get(f"/api/streams/{sid}").json()["brief"]["products"][0]["price"] == 21


def test_two_tokens_do_not_share_a_key(server: LiveServer) -> None:
    sid = server.create_stream("two tokens")
    other = server.client.post("/api/tokens", json={"name": "ops", "role": "operator"}).json()["token"]
    key = "shared-key"
    server.client.post(f"/api/streams/{sid}/commands", json=PRICE, headers={"Idempotency-Key": key})
    r = server.client.post(f"/api/streams/{sid}/commands", json=PRICE,
                           headers={"Idempotency-Key": key, "Authorization": f"Bearer {other}"})
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    assert updates(server, sid) == 2


def test_a_key_that_is_not_visible_ascii_is_a_422_naming_the_header(server: LiveServer) -> None:
    sid = server.create_stream("bad key")
    r = server.client.post(f"/api/streams/{sid}/commands", json=PRICE, headers={"Idempotency-Key": "a b"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert updates(server, sid) == 0


def test_openapi_offers_the_key_on_commands(server: LiveServer) -> None:
    ops = server.client.get("/openapi.json").json()["paths"]["/api/streams/{stream_id}/commands"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in ops["parameters"]]
