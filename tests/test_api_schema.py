"""Schemathesis against the OpenAPI spec the service publishes: generated requests, valid and invalid, never get a
5xx, and every response matches the schema it documents.

Driven through Hypothesis directly (one ``@given`` per operation and generation mode) rather than schemathesis'
pytest plugin, whose lazy fixture loader does not run under this pytest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from test_control_support import ADMIN, LiveServer

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error, response_schema_conformance  # noqa: E402

EXAMPLES_PER_OPERATION = 12  # per mode; the whole run stays within a few seconds
SKIP = ("/preview.mjpg",)  # never ends by design: a generated request would wait on it forever


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("schema")) as s:
        s.create_stream("existing")  # so that some generated requests reach a real row
        yield s


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_makes_the_server_fail(server: LiveServer, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if not op.path.endswith(SKIP)]
    assert len(operations) >= 20
    headers = {"Authorization": f"Bearer {ADMIN}"}
    for op in operations:
        @given(case=op.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=server.url, headers=headers,
                                   checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing to make invalid (no parameters, no body)
