"""`flask deadlines sweep` (once) and `flask deadlines run` (the scheduler, blocking)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.deadlines.cron import run_cron, run_timer
from app.deadlines.services import sweep

DEFAULT_INTERVAL = 30  # seconds, unless DEADLINE_SWEEP_SECONDS says otherwise

deadlines_cli = AppGroup(
    "deadlines", help="Time-based rules: the sweep that applies due deadlines."
)


@deadlines_cli.command("sweep")
def sweep_once() -> None:
    """Apply every due deadline now, once, and print the counts."""
    result = sweep()
    click.echo(
        f"{result.applied} applied, {result.failed} failed, {result.skipped} skipped; "
        f"periodic work: {result.periodic} ran, {result.periodic_failed} failed"
    )


@deadlines_cli.command("run")
@click.option(
    "--interval", type=click.IntRange(min=1), default=None, help="Seconds between sweeps."
)
def run(interval: int | None) -> None:
    """Sweep every INTERVAL seconds: RQ's cron scheduler with REDIS_URL (an RQ worker applies
    the sweeps), an in-process timer without."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    interval = interval or int(app.config.get("DEADLINE_SWEEP_SECONDS") or DEFAULT_INTERVAL)
    if app.config.get("REDIS_URL"):
        click.echo(f"deadline sweep enqueued on the 'sweep' queue every {interval}s (RQ cron)")
        run_cron(app, interval)
    else:
        click.echo(f"deadline sweep every {interval}s in this process (no REDIS_URL)")
        run_timer(app, interval)
