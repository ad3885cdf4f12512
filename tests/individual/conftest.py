from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.pki import LocalPKI, running_pki


@pytest.fixture(scope="session")
def pki() -> Iterator[LocalPKI]:
    with running_pki() as local:
        yield local


@pytest.fixture
def moica(pki: LocalPKI, settings, tmp_path) -> LocalPKI:
    """The certificate path configured as an operator would: anchor files and a CRL cache."""
    settings.MOICA_TRUST_ANCHORS = [str(path) for path in pki.write_trust_files(tmp_path / "moica")]
    settings.MOICA_CRL_CACHE_DIR = str(tmp_path / "crl-cache")
    return pki
