import pytest


@pytest.fixture(autouse=True)
def _english(client):
    """These tests read the English wording; the Chinese is the catalog's business."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
