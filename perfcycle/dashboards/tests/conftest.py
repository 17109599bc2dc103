"""HR's home keeps process health's weakest joint in the cache a while: each test starts
without it (ids repeat from one test to the next)."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_cached_weakest_joint():
    cache.clear()
    yield
    cache.clear()
