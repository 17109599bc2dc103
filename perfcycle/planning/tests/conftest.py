from __future__ import annotations

import pytest

from tests.factories import planning_quarter


@pytest.fixture
def cycle(company):
    """An open quarter with everyone in the company taking part."""
    return planning_quarter(company)
