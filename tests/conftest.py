"""Shared fixtures. Django is configured by pytest-django from libcard.settings."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _private_storage(request, tmp_path):
    """Every test writes uploads and mail under its own temporary folder."""
    if not request.config.pluginmanager.hasplugin("django"):
        return  # pure-Python tests run without Django too
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    storages = dict(settings.STORAGES)
    storages["private"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private")},
    }
    settings.STORAGES = storages


# -- named people (healthchecks-style): the library's staff, two schools and their contacts --
@pytest.fixture
def group_staff(db):
    from tests.support.factories import staff

    return staff("group-staff", "group")


@pytest.fixture
def reviewer(db):
    from tests.support.factories import staff

    return staff("reviewer", "reviewer")


@pytest.fixture
def admin_staff(db):
    from tests.support.factories import staff

    return staff("admin-staff", "admin")


@pytest.fixture
def school_a(db):
    from tests.support.factories import institution

    return institution("臺中市立甲國民小學", "193601")


@pytest.fixture
def school_b(db):
    from tests.support.factories import institution

    return institution("新北市立乙國民中學", "014501")


@pytest.fixture
def contact_a(school_a):
    from tests.support.factories import contact

    return contact(school_a, "contact-a@school-a.example.edu.tw")


@pytest.fixture
def contact_b(school_b):
    from tests.support.factories import contact

    return contact(school_b, "contact-b@school-b.example.edu.tw")
