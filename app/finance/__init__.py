"""Money (SPEC §9): the ledger, commissions, balances, withdrawals and statements.

It subscribes to the order, payment and delivery domains' signals (`subscribers.py`) and never
edits them; the portals read balances and statements through `reports.py` and act through
`withdrawals.py` and `adjustments.py`.
"""
