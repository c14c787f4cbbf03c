"""The waiting alarm: a 配送助手 task nobody accepted within the set minutes is flagged once.

A task's creation schedules a deadline at created + `alarm_after_minutes`; accepting or
cancelling it takes the deadline away. When the sweep finds the task still waiting, the task is
marked (`alarmed_at`, highlighted on the dispatcher's board) and the order's timeline says so,
which the store reads on its order page. Each task is alarmed at most once (a compare-and-set on
`alarmed_at`), however often the sweep runs.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.actor import SYSTEM
from app.clock import utcnow
from app.deadlines import cancel, on_due, schedule
from app.delivery.connection import ASSISTANT, assistant_settings
from app.delivery.models import DeliveryTask, TaskStatus
from app.delivery.signals import task_created, task_moved
from app.extensions import db
from app.i18n_markers import N_
from app.messages import define
from app.ordering.events import record_event

ALARM = "delivery.alarm"  # the deadline kind; subject: the task's id

TASK_ALARM = define("task_alarm", N_("超过 %(minutes)s 分钟无人接单"))


def _due(task: DeliveryTask, minutes: int):
    return (task.created_at or utcnow()) + timedelta(minutes=minutes)


@task_created.connect
def schedule_alarm(task: DeliveryTask, **_) -> None:
    """The platform's own riders' tasks are watched (a courier platform has its own clock)."""
    if (task.courier or ASSISTANT) != ASSISTANT or task.status != TaskStatus.WAITING:
        return
    schedule(ALARM, task.id, _due(task, assistant_settings().alarm_after_minutes))


@task_moved.connect
def stop_alarm(task: DeliveryTask, frm: str, to: str, **_) -> None:
    """Accepted (or assigned) or cancelled: nothing is waiting any more."""
    if frm == TaskStatus.WAITING and to != TaskStatus.WAITING:
        cancel(ALARM, task.id)


def reschedule_waiting(minutes: int) -> int:
    """The dispatcher changed the minutes: every task still waiting and not alarmed yet is
    watched with the new time (one already past it is alarmed by the next sweep)."""
    tasks = db.session.execute(
        select(DeliveryTask.id, DeliveryTask.created_at).where(
            DeliveryTask.status == TaskStatus.WAITING,
            DeliveryTask.courier == ASSISTANT,
            DeliveryTask.alarmed_at.is_(None),
        )
    ).all()
    for task_id, created_at in tasks:
        schedule(ALARM, task_id, created_at + timedelta(minutes=minutes))
    return len(tasks)


@on_due(ALARM)
def raise_alarm(task_id: int) -> None:
    """Still waiting: flag the task once and tell the store on the order's timeline."""
    task = db.session.get(DeliveryTask, task_id)
    if task is None or task.status != TaskStatus.WAITING or task.alarmed_at is not None:
        return  # accepted, cancelled or alarmed meanwhile
    flagged = db.session.execute(
        update(DeliveryTask)
        .where(
            DeliveryTask.id == task.id,
            DeliveryTask.status == TaskStatus.WAITING,
            DeliveryTask.alarmed_at.is_(None),
        )
        .values(alarmed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if flagged.rowcount != 1:
        return
    db.session.refresh(task)
    minutes = assistant_settings().alarm_after_minutes
    note = TASK_ALARM(minutes=minutes)
    record_event(
        task.order_id, SYSTEM, TaskStatus.WAITING, TaskStatus.WAITING, note, machine="delivery"
    )
