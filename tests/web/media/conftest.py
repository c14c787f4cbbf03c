from __future__ import annotations

import pytest

from tests.support.wholesale_world import build_world


@pytest.fixture
def world(app):
    return build_world()
