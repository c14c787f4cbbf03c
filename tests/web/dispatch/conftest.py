"""The 配送助手 back office over HTTP: a connected assistant, a store shipping by it, and the
dispatcher 钱调度 logged in through the real form."""

from __future__ import annotations

import pytest

from tests.unit.delivery.dispatch_world import build

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app):
    return build()


@pytest.fixture
def desk(app, world, login):
    """钱调度's browser."""
    browser = app.test_client()
    assert login(world.dispatcher, test_client=browser).status_code == 303
    return browser
