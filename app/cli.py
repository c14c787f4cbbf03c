"""Flask CLI: `flask seed`, `flask jobs flush`, `flask jobs worker`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.demo_data import DEMO_PASSWORD, DEMO_USERS

jobs_cli = AppGroup("jobs", help="Background jobs (the outbox and RQ workers).")


@jobs_cli.command("flush")
def flush_jobs() -> None:
    """Enqueue (or, without Redis, run) every outbox row still pending."""
    from app.jobs import dispatch_pending

    click.echo(f"{dispatch_pending()} pending jobs dispatched")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def run_worker(burst: bool) -> None:
    """Run an RQ worker on the sms, courier and print queues inside this app."""
    from worker import work

    work(burst=burst)


def print_logins() -> None:
    click.echo(f"演示账号 / demo logins (password: {DEMO_PASSWORD})")
    seen = set()
    for phone, name, role, scope, _plate in DEMO_USERS:
        if phone in seen:
            continue
        seen.add(phone)
        click.echo(f"  {phone}  {name:<4}  {role}{'  ' + scope if scope else ''}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(jobs_cli)

    @app.cli.command("seed")
    def seed() -> None:
        """Load the demo data (idempotent) and print the demo logins."""
        from app.demo_data import load_demo_data
        from app.jobs import commit

        created = load_demo_data()
        commit()
        click.echo(f"demo data: {created['users']} users, {created['products']} products created")
        print_logins()
