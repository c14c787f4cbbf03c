"""Every domain's reactions to other domains' events, connected by importing them once.

A new domain adds its own `subscribers` module here; the publishing domain is never edited.
"""

from app.catalog import deadlines as _catalog_deadlines  # noqa: F401  (定时上架)
from app.deadlines import tasks as _deadline_tasks  # noqa: F401  (the sweep job; retries the outbox)
from app.delivery import alarms as _delivery_alarms  # noqa: F401  (配送助手: waiting too long)
from app.delivery import assistant as _assistant  # noqa: F401  (registers the 配送助手 courier)
from app.delivery import dispatch as _dispatch  # noqa: F401  (dispatchers' order scope)
from app.delivery import scope as _delivery_scope  # noqa: F401  (riders' order scope)
from app.delivery import subscribers as _delivery  # noqa: F401
from app.delivery.dada import subscribers as _dada  # noqa: F401  (自动派单 on payment; a closed order cancels at Dada)
from app.finance import subscribers as _finance  # noqa: F401  (the ledger)
from app.ordering import aftersales as _aftersales  # noqa: F401  (window, store's silence)
from app.ordering import checkout as _checkout  # noqa: F401  (closes unpaid orders)
from app.ordering import refunds as _refunds  # noqa: F401  (refund_completed → order, items)
from app.ordering import statements as _statements  # noqa: F401  (统一结算: monthly build)
from app.payments import subscribers as _payments  # noqa: F401  (gateways, refunds)
from app.printing import subscribers as _printing  # noqa: F401
from app.promotions import subscribers as _promotions  # noqa: F401
from app.wholesale import scope as _wholesale_scope  # noqa: F401  (managers' and drivers' scope)
from app.wholesale import subscribers as _wholesale  # noqa: F401
