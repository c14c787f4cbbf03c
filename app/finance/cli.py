"""`flask money check`: recompute every balance from the ledger's entries."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.finance.reports import check
from app.money import format_fen

money_cli = AppGroup("money", help="The ledger: balances, entries, checks.")


@money_cli.command("check")
def check_command() -> None:
    """Recompute every account's five balances from its entries and every order's entries from
    what the buyer paid; print each difference (none expected) and exit 1 if there is one."""
    differences, orders = check()
    for d in differences:
        click.echo(
            f"account {d.account_id} {d.bucket}: balance {format_fen(d.cached_fen)}, "
            f"entries {format_fen(d.entries_fen)}"
        )
    for o in orders:
        click.echo(
            f"order {o.order_id}: entries {format_fen(o.entries_fen)}, "
            f"paid less refunds {format_fen(o.paid_less_refunds_fen)}"
        )
    if differences or orders:
        click.echo(f"{len(differences)} balance and {len(orders)} order differences")
        sys.exit(1)
    click.echo("money check: every balance equals the sum of its entries; no difference")
