"""schemathesis against our OpenAPI document, over HTTP against a live server.

A bounded number of examples per operation; any server error, undocumented
status code or response off the schema fails the test.
"""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.support.readers import OWN, make_reader

DOCUMENT = Path(__file__).resolve().parents[2] / "src/libcard/platforms/openapi.json"
schema = schemathesis.openapi.from_path(DOCUMENT)


@pytest.fixture
def api(live_server, platform_key):
    make_reader(own_password=OWN)
    _platform, key = platform_key
    return f"{live_server.url}/api/v1", key


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema(case, api):
    base_url, key = api
    case.call_and_validate(base_url=base_url, headers={"Authorization": f"Bearer {key}"})
