"""REST for streams: a brief is validated before anything is stored, and errors name the field."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from test_control_support import BRIEF, SMALL, LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("streams")) as s:
        yield s


def test_an_invalid_brief_is_422_naming_the_field(server: LiveServer) -> None:
    brief = copy.deepcopy(BRIEF)
    brief["products"][1]["price"] = -3
    before = server.client.get("/api/streams").json()
    r = server.client.post("/api/streams", json={"name": "bad", "brief": brief})
    assert r.status_code == 422
    problem = r.json()["errors"][0]
    assert problem["field"] == "brief.products[1].price"
    assert problem["loc"] == ["body", "brief", "products", 1, "price"]
    assert "greater than 0" in problem["msg"]
    assert server.client.get("/api/streams").json() == before  # nothing stored


def test_a_chinese_brief_gets_chinese_messages(server: LiveServer) -> None:
    r = server.client.post("/api/streams", json={"name": "茶", "brief_yaml":
                                                 "language: zh\nproducts:\n  - {id: t1, name: 龙井, price: 0}\n"})
    assert r.status_code == 422
    problem = r.json()["errors"][0]
    assert problem["field"] == "brief.products[0].price" and problem["type"] == "greater_than"
    assert problem["msg"].startswith("必须大于 0")


def test_broken_yaml_is_422_on_brief_yaml(server: LiveServer) -> None:
    r = server.client.post("/api/streams", json={"name": "x", "brief_yaml": "language: [en\n"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "brief_yaml"


def test_an_unknown_voice_is_422_on_settings_voice(server: LiveServer) -> None:
    r = server.client.post("/api/streams", json={"name": "x", "brief": BRIEF,
                                                 "settings": {**SMALL, "voice": "nope:robot"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "settings.voice"


@pytest.mark.parametrize("settings,field", [({"size": "321x180"}, "size"), ({"outputs": ["/etc/passwd.flv"]}, "outputs"),
                                            ({"fps": 500}, "fps")])
def test_bad_settings_are_422(server: LiveServer, settings: dict, field: str) -> None:
    r = server.client.post("/api/streams", json={"name": "x", "brief": BRIEF, "settings": settings})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == field


def test_create_read_update_delete(server: LiveServer) -> None:
    sid = server.create_stream("lamps")
    got = server.client.get(f"/api/streams/{sid}").json()
    assert got["state"] == "stopped" and got["brief"]["room"]["host_name"] == "Robin"
    assert [p["id"] for p in got["products"]] == ["lamp-2", "mat-5"]
    r = server.client.patch(f"/api/streams/{sid}", json={"name": "lamps & mats"})
    assert r.status_code == 200 and r.json()["name"] == "lamps & mats"
    assert server.client.delete(f"/api/streams/{sid}").status_code == 204
    assert server.client.get(f"/api/streams/{sid}").status_code == 404


def test_commands_to_a_stopped_stream_are_409(server: LiveServer) -> None:
    sid = server.create_stream()
    r = server.client.post(f"/api/streams/{sid}/commands", json={"type": "say", "text": "hello"})
    assert r.status_code == 409 and "start it first" in r.json()["detail"]


def test_switching_to_an_unknown_product_is_422(server: LiveServer) -> None:
    sid = server.create_stream()
    r = server.client.post(f"/api/streams/{sid}/commands", json={"type": "switch_product", "product_id": "nope"})
    assert r.status_code == 422 and r.json()["detail"].startswith("product_id: unknown product 'nope'")


def test_the_brief_schema_is_published(server: LiveServer) -> None:
    schema = server.client.get("/api/brief-schema").json()
    assert schema["title"] == "Brief" and "products" in schema["required"]


def test_llm_settings_are_stored_with_the_key_that_no_role_can_read_back(server: LiveServer) -> None:
    llm = {"backend": "openai", "base_url": "http://127.0.0.1:8000/v1", "model": "qwen", "api_key": "sk-abc123",
           "first_sentence_timeout_s": 1.2}
    sid = server.create_stream("llm", llm=llm)
    dev = server.client.post("/api/tokens", json={"name": "d", "role": "developer"}).json()["token"]
    for headers in ({}, {"Authorization": f"Bearer {dev}"}):
        for path in (f"/api/streams/{sid}", "/api/streams"):
            r = server.client.get(path, headers=headers)
            assert r.status_code == 200 and "sk-abc123" not in r.text
    got = server.client.get(f"/api/streams/{sid}").json()["settings"]["llm"]
    assert got["model"] == "qwen" and got["first_sentence_timeout_s"] == 1.2 and got["api_key"] == "**********"
    stored = server.services.store.get_stream(sid).settings["llm"]
    assert stored["api_key"] == "sk-abc123"


def test_an_update_that_sends_the_masked_key_back_keeps_the_key(server: LiveServer) -> None:
    sid = server.create_stream("llm2", llm={"backend": "openai", "model": "m", "api_key": "sk-keep"})
    settings = server.client.get(f"/api/streams/{sid}").json()["settings"]
    settings["llm"]["model"] = "m2"
    assert server.client.patch(f"/api/streams/{sid}", json={"settings": settings}).status_code == 200
    stored = server.services.store.get_stream(sid).settings["llm"]
    assert (stored["model"], stored["api_key"]) == ("m2", "sk-keep")
    settings["llm"]["api_key"] = ""
    server.client.patch(f"/api/streams/{sid}", json={"settings": settings})
    assert server.services.store.get_stream(sid).settings["llm"]["api_key"] == ""



def test_rtmp_stream_keys_never_read_back_and_a_masked_output_sent_back_keeps_its_key(server: LiveServer) -> None:
    outputs = ["rtmp://ingest.example:1935/live/sk_live_AAA", "rtmp://ingest.example:1935/live/sk_live_BBB"]
    sid = server.create_stream("keys", outputs=outputs)
    dev = server.client.post("/api/tokens", json={"name": "k", "role": "developer"}).json()["token"]
    for headers in ({}, {"Authorization": f"Bearer {dev}"}):
        for path in (f"/api/streams/{sid}", "/api/streams"):
            r = server.client.get(path, headers=headers)
            assert r.status_code == 200 and "sk_live_" not in r.text
    settings = server.client.get(f"/api/streams/{sid}").json()["settings"]
    assert settings["outputs"] == ["rtmp://ingest.example:1935/live/****"] * 2
    settings["outputs"].append("rtmp://other.example/app/sk_live_CCC")
    assert server.client.patch(f"/api/streams/{sid}", json={"settings": settings}).status_code == 200
    assert server.services.store.get_stream(sid).settings["outputs"] == [*outputs, "rtmp://other.example/app/sk_live_CCC"]

def test_an_llm_base_url_must_be_http(server: LiveServer) -> None:
    r = server.client.post("/api/streams", json={"name": "x", "brief": BRIEF,
                                                 "settings": {"llm": {"base_url": "file:///etc/passwd"}}})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "base_url"


def test_only_an_admin_may_give_a_stream_a_comment_source_that_listens_on_the_server(server: LiveServer) -> None:
    ops = server.client.post("/api/tokens", json={"name": "o", "role": "operator"}).json()["token"]
    as_ops = {"Authorization": f"Bearer {ops}"}
    listening = {"name": "hooks", "brief": BRIEF, "settings": {"comments": ["webhook://127.0.0.1:9911/hook"]}}
    r = server.client.post("/api/streams", json=listening, headers=as_ops)
    assert r.status_code == 403 and "webhook://" in r.json()["detail"]
    sid = server.client.post("/api/streams", json=listening).json()["id"]  # the admin may
    settings = server.client.get(f"/api/streams/{sid}", headers=as_ops).json()["settings"]
    settings["fps"] = 25  # an operator may still edit the stream, keeping the source the admin added
    assert server.client.patch(f"/api/streams/{sid}", json={"settings": settings}, headers=as_ops).status_code == 200
    settings["comments"].append("douyin-push://:9912")
    assert server.client.patch(f"/api/streams/{sid}", json={"settings": settings}, headers=as_ops).status_code == 403
