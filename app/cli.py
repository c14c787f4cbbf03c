"""Flask CLI: `flask seed`, `flask jobs flush|worker`, `flask deadlines sweep|run`,
`flask money check`.

Each command is one unit of work: it commits once at the end (then hands its jobs over).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.deadlines.cli import deadlines_cli
from app.demo_data import DEMO_PASSWORD, DEMO_USERS, load_demo_data
from app.finance.cli import money_cli
from app.jobs import dispatch_pending, unit_of_work
from app.worker import work

jobs_cli = AppGroup("jobs", help="Background jobs (the outbox and RQ workers).")


@jobs_cli.command("flush")
def flush_jobs() -> None:
    """Enqueue (or, without Redis, run) every outbox row still pending."""
    click.echo(f"{dispatch_pending()} pending jobs dispatched")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def run_worker(burst: bool) -> None:
    """Run an RQ worker on every queue inside this app."""
    work(burst=burst)


def print_logins() -> None:
    click.echo(f"演示账号 / demo logins (password: {DEMO_PASSWORD})")
    seen = set()
    for phone, name, role, scope, _plate in DEMO_USERS:
        if phone in seen:
            continue
        seen.add(phone)
        click.echo(f"  {phone}  {name:<4}  {role}{'  ' + scope if scope else ''}")


def seed() -> None:
    """Load the demo data (idempotent) and print the demo logins."""
    with unit_of_work():
        created = load_demo_data()
    click.echo(f"demo data: {created['users']} users, {created['products']} products created")
    print_logins()


def register_commands(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
    app.cli.add_command(deadlines_cli)
    app.cli.add_command(money_cli)
    app.cli.command("seed")(seed)
