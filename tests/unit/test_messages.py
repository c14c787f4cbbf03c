"""Messages are data: a code and parameters, rendered for each reader when shown."""

from __future__ import annotations

import pytest

from app import create_app
from app.accounts.models import User
from app.jobs import commit
from app.messages import NOTE, define, render
from app.web.order_view import order_view
from app.wholesale.services import assign_driver, confirm_order
from tests.factories import PASSWORD, actor_of
from tests.support.wholesale_world import build_world, order_of

PRICE_RAISED = define(
    "test_price_raised", "「%(product)s」涨价了，现在是 %(status)s", labels=("status",)
)


def test_a_message_stores_its_code_and_parameters_not_a_sentence():
    assert PRICE_RAISED(product="椰子汁", status="待发货").data() == {
        "code": "test_price_raised",
        "product": "椰子汁",
        "status": "待发货",
    }


def test_label_parameters_are_translated_with_the_text():
    english = {"「%(product)s」涨价了，现在是 %(status)s": "%(product)s costs more, now %(status)s"}
    english["待发货"] = "To ship"
    text = render(PRICE_RAISED(product="椰子汁", status="待发货"), translate=english.get)
    assert text == "椰子汁 costs more, now To ship"


def test_a_phone_is_masked_for_a_factory_and_shown_to_staff():
    message = {"code": "rider_on_task", "name": "赵骑手", "phone": "13800000006"}
    assert render(message, audience="staff") == "骑手 赵骑手 13800000006"
    assert render(message, audience="factory") == "骑手 赵骑手 138****0006"


def test_a_persons_own_words_are_shown_as_typed():
    assert render(NOTE(text="放门口 %(x)s"), translate=lambda s: "translated!") == "放门口 %(x)s"


def test_an_unknown_code_shows_the_code_instead_of_crashing():
    assert render({"code": "from_a_newer_release", "n": 1}) == "from_a_newer_release"


def test_one_code_cannot_mean_two_texts():
    with pytest.raises(ValueError, match="defined twice"):
        define("test_price_raised", "另一句话")


def test_the_order_component_masks_the_drivers_phone_for_a_factory_only(app):
    world = build_world()
    order = order_of(world)
    confirm_order(order, actor_of(world.manager))
    assign_driver(order, world.driver.id, actor_of(world.manager))
    commit()

    for_factory = order_view(order, reader="factory")
    for_buyer = order_view(order, reader="buyer")

    assert for_factory.carrier.phone == "138****0002"
    assert all("13800000002" not in entry.note for entry in for_factory.timeline)
    assert for_buyer.carrier.phone == "13800000002"
    assert any("13800000002" in entry.note for entry in for_buyer.timeline)


def test_the_app_hashes_passwords_with_scrypt_outside_the_test_suite():
    """The suite hashes cheaply for speed; the app's own setting is scrypt."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    assert "PASSWORD_HASH_METHOD" not in app.config
    with app.app_context():
        user = User(phone="13900000000", name="x")
        user.set_password(PASSWORD)
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password(PASSWORD) and not user.check_password("wrong")
