"""The pool page's statements are built once with the rider's id bound (`pool_statements`): for
every rider they find the waiting tasks newest first and that rider's own tasks on hand (as
`rider_tasks` gives them), nothing for a rider off duty, and nobody but a rider has a pool."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.delivery.duty import set_duty
from app.delivery.services import grab_task, pool_statements, rider_tasks
from app.errors import Forbidden
from app.extensions import db
from app.jobs import commit
from tests.factories import actor_of, make_user


def _ids(statement, params) -> list[int]:
    return [row.id for row in db.session.execute(statement, params)]


def test_each_rider_finds_what_their_scope_gives(app, ship, rider):
    other = make_user(Role.RIDER, name="钱骑手")
    commit()
    tasks = [ship() for _ in range(3)]
    grab_task(tasks[0], actor_of(rider))
    commit()
    seen = {}
    for who in (rider, other):
        actor = actor_of(who)
        statements = pool_statements(actor)
        cards = _ids(statements.cards, statements.params)
        assert _ids(statements.ids, statements.params) == cards
        mine = _ids(statements.mine, statements.params)
        assert mine == [t.id for t in db.session.execute(rider_tasks(actor, False)).scalars()]
        seen[who.id] = (cards, mine)
    assert seen[rider.id] == ([tasks[2].id, tasks[1].id], [tasks[0].id])  # newest first
    assert seen[other.id] == ([tasks[2].id, tasks[1].id], [])

    set_duty(actor_of(other), False)
    commit()
    statements = pool_statements(actor_of(other))
    assert _ids(statements.cards, statements.params) == []  # off duty: no pool


def test_only_a_rider_has_a_pool(app, store):
    owner = make_user(Role.STORE_STAFF, store=store)
    with pytest.raises(Forbidden):
        pool_statements(actor_of(owner))
