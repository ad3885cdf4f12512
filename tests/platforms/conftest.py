import pytest

from libcard.core.audit import Actor
from libcard.platforms.services import platform_register


@pytest.fixture
def platform_key(db):
    registration = platform_register(
        actor=Actor("staff", "1", "admin"),
        name="電子書平台",
        api=True,
        allow=["127.0.0.1/32", "::1/128"],
        may={"name": True, "email": False},
    )
    return registration.platform, registration.api_key
