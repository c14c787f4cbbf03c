"""What the rider's requests cost the database: the pool is a fixed handful of statements however
many cards it shows (cards are rows, their pieces summed in SQL), and a tap or a grab reads the
task alone, the rider's profile once (a grab: once to look, once under its lock; a lost grab only
reads)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import update

from app.accounts.models import Role
from app.delivery.models import DeliveryTask, RiderProfile, RiderStatus
from app.delivery.riders import check_can_take, ensure_profile
from app.delivery.services import grab_task, ship_with_assistant
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_buyer, make_product, make_user, place_order
from tests.support.sent import statements_sent
from tests.web.rider.test_rider import HX, grab, pool_card, rider_client, tap


def statements_of(send) -> tuple[object, list[str]]:
    with statements_sent() as statements:
        answer = send()
    return answer, statements


def reading(statements: list[str], table: str) -> list[str]:
    """The statements that load rows of `table` (not a subquery or EXISTS that consults it)."""
    return [s for s in statements if s.lstrip().startswith(f"SELECT {table}.")]


def as_in_production(phone) -> None:
    """The rider is not in this test's session (each request has its own in production) and the
    process keeps their copy (app/web/person.py): a request reads them as it would at work."""
    db.session.expunge_all()
    assert phone.get("/rider/").status_code == 200


def standing_reads(statements: list[str]) -> list[str]:
    """The statements that read the rider's standing (on PostgreSQL the first is the person's
    own statement, which carries it; app/web/person.py `read_alongside`)."""
    return [s for s in statements if "rider_profiles.review_note" in s]


def test_the_pool_costs_the_same_statements_for_one_card_or_a_full_page(app, login, ship):
    rider = make_user(Role.RIDER)
    first = ship()
    commit()
    phone = rider_client(app, login, rider)
    _, alone = statements_of(lambda: phone.get("/rider/"))
    for _ in range(24):
        ship()
    grab_task(first, actor_of(rider))  # one card of the rider's own, with its next tap
    commit()
    page, full = statements_of(lambda: phone.get("/rider/"))
    text = page.get_data(as_text=True)
    assert text.count('class="card task-card') == 21  # 20 of the pool's page, 1 grabbed
    assert len(full) == len(alone) <= 4, full
    assert reading(full, "order_items") == []  # the pieces are summed in the cards' statement


def test_a_pool_card_counts_every_piece_of_the_order(app, login, store):
    owner = make_user(Role.STORE_STAFF, store=store)
    product = make_product(store, "椰子鸡", price_fen=5000)
    task = ship_with_assistant(place_order(make_buyer(), product, 3), actor_of(owner))
    rider = make_user(Role.RIDER)
    commit()
    page = rider_client(app, login, rider).get("/rider/").get_data(as_text=True)
    assert "共 3 件商品" in pool_card(page, task)


def test_a_tap_reads_the_task_alone_and_the_profile_once(app, login, ship):
    task = ship()
    rider = make_user(Role.RIDER)
    commit()
    phone = rider_client(app, login, rider)
    assert grab(phone, task, headers=HX).status_code == 200
    task = SimpleNamespace(id=task.id)  # read here, not while the tap's statements are recorded
    as_in_production(phone)
    answer, statements = statements_of(lambda: tap(phone, task, "arrived", headers=HX))
    assert answer.status_code == 200 and "取单" in answer.get_data(as_text=True)
    assert reading(statements, "orders") == [] and reading(statements, "order_items") == []
    assert reading(statements, "stores") == []
    assert len(standing_reads(statements)) == 1
    if db.engine.dialect.name == "postgresql":  # the standing came with the person
        assert "FROM users" in standing_reads(statements)[0]


def test_a_won_grab_checks_the_cap_under_the_profiles_lock(app, login, ship):
    task = ship()
    rider = make_user(Role.RIDER)
    commit()
    phone = rider_client(app, login, rider)
    answer, statements = statements_of(lambda: grab(phone, task, headers=HX))
    assert answer.status_code == 200 and "抢单成功" in answer.get_data(as_text=True)
    standing, locked = standing_reads(statements)  # read to look, then locked
    if db.engine.dialect.name == "postgresql":
        assert "FOR UPDATE" not in standing and "FOR UPDATE OF rider_profiles" in locked
    assert "共 2 件商品" in pool_card(answer.get_data(as_text=True), task)


def test_a_lost_grab_reads_only_without_a_lock_or_a_transaction(app, login, ship):
    """31 of 32 riders lose a grab: they are answered from reads on the GET's connection (on
    PostgreSQL in autocommit: no BEGIN, no lock on their profile, no COMMIT)."""
    task = ship()
    rider, other = make_user(Role.RIDER), make_user(Role.RIDER)
    commit()
    grab_task(task, actor_of(other))
    commit()
    phone = rider_client(app, login, rider)
    task, other = SimpleNamespace(id=task.id), SimpleNamespace(id=other.id)
    commit()  # this test's session holds no transaction the request would read in
    as_in_production(phone)
    with statements_sent(read_only=True) as statements:
        answer = grab(phone, task, headers=HX)
    assert answer.status_code == 409 and "已被抢" in answer.get_data(as_text=True)
    assert reading(statements, "orders") == [] and reading(statements, "order_items") == []
    assert not any("FOR UPDATE" in statement for statement in statements), statements
    assert statements and all(statement.read_only for statement in statements), statements
    if db.engine.dialect.name == "postgresql":  # the person, their standing and the task's
        assert len(statements) == 1  # scope in one statement
    assert db.session.get(DeliveryTask, task.id).rider_id == other.id


def test_the_standing_read_with_the_person_is_the_one_of_that_very_request(app, login, ship):
    """The rider's standing rides in the person's statement (PostgreSQL) but is never kept:
    taken off duty between two requests, the very next grab says so and takes nothing; refused,
    the next page shows why and nothing else."""
    task = ship()
    rider = make_user(Role.RIDER)
    commit()
    phone = rider_client(app, login, rider)
    task_id, rider_id = task.id, rider.id
    as_in_production(phone)

    _set_profile(rider_id, on_duty=False)
    refused = grab(phone, SimpleNamespace(id=task_id), headers=HX)
    assert refused.status_code == 409 and "您已收工，请先开工再抢单" in refused.get_data(
        as_text=True
    )
    assert db.session.get(DeliveryTask, task_id).rider_id is None

    _set_profile(rider_id, on_duty=True, status=RiderStatus.REJECTED)
    page = phone.get("/rider/")
    assert page.status_code == 403 and 'class="card task-card' not in page.get_data(as_text=True)


def _set_profile(rider_id: int, **values) -> None:
    db.session.execute(update(RiderProfile).where(RiderProfile.user_id == rider_id).values(values))
    commit()
    db.session.expunge_all()


def test_the_cap_check_refuses_a_profile_locked_for_another_rider(app):
    rider, other = make_user(Role.RIDER), make_user(Role.RIDER)
    profile = ensure_profile(other.id, on_duty=True)
    with pytest.raises(ValueError):
        check_can_take(rider.id, locked=profile)
