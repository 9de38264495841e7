"""Every test here creates users on a fresh database: hash their passwords cheaply."""

import pytest


@pytest.fixture(autouse=True)
def _cheap_password_hashes(fast_password_hashing):
    yield
