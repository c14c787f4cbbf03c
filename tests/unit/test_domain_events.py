"""Domains talk through events, not imports (ARCHITECTURE rule 11): a new domain reacts to orders
by subscribing, inside the same unit of work; ordering imports no fulfilment domain; and no import
hides inside a function to dodge a cycle."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.models import Sku
from app.delivery.services import ship_with_assistant
from app.errors import DomainError
from app.extensions import db
from app.jobs import commit
from app.messages import define
from app.ordering.models import Order, OrderEvent
from app.ordering.services import change_status_by_staff, reject_order
from app.ordering.signals import order_closed, order_moved, order_paid
from app.ordering.states import OrderStatus as S
from app.wholesale.models import Region
from tests.factories import (
    actor_of,
    make_buyer,
    make_product,
    make_store,
    make_user,
    place_order,
    store_actor,
)

APP_DIR = Path(__file__).resolve().parents[2] / "app"
FULFILMENT_DOMAINS = ("app.delivery", "app.wholesale", "app.notifications", "app.printing")
NEW_DOMAIN_REFUSES = define("test_new_domain_refuses", "测试：新业务不同意关闭这个订单")


@dataclass
class NewDomain:
    """A domain the ordering package has never heard of: it records what it was told and writes
    a row of its own for every move (a Region named after the order and the move)."""

    heard: list[tuple] = field(default_factory=list)
    refuse_closing: set[str] = field(default_factory=set)  # order numbers it will not let close

    def on_moved(self, order, frm, to, actor, **_):
        self.heard.append(("moved", order.no, frm, to))
        db.session.add(Region(name=written_name(order.no, to)))
        db.session.flush()

    def on_paid(self, order, actor, **_):
        self.heard.append(("paid", order.no))

    def on_closed(self, order, frm, actor, **_):
        self.heard.append(("closed", order.no, frm))
        if order.no in self.refuse_closing:
            raise DomainError(NEW_DOMAIN_REFUSES())


def written_name(order_no: str, to: str) -> str:
    return f"{order_no}:{to}"


@pytest.fixture
def new_domain(app):
    domain = NewDomain()
    receivers = ((order_moved, domain.on_moved), (order_paid, domain.on_paid))
    receivers += ((order_closed, domain.on_closed),)
    for signal, receiver in receivers:
        signal.connect(receiver, weak=False)
    try:
        yield domain
    finally:
        for signal, receiver in receivers:
            signal.disconnect(receiver)


@pytest.fixture
def store(app):
    return make_store(name="椰城小厨", rider_commission_fen=600)


def committed(statement):
    """What a second connection sees: only what was really committed."""
    with db.engine.connect() as other:
        return other.execute(statement).all()


def committed_region_names() -> set[str]:
    return {name for (name,) in committed(select(Region.name))}


def test_a_new_domain_hears_every_move_and_its_writes_commit_with_the_order(new_domain, store):
    owner = make_user(Role.STORE_STAFF, store=store)
    operator = make_user(Role.OPERATOR)
    product = make_product(store, "宫保鸡丁", price_fen=3200)

    order = place_order(make_buyer(), product, 2)  # placed, and the store accepts it
    ship_with_assistant(order, actor_of(owner))
    commit()
    change_status_by_staff(order, S.COMPLETED, actor_of(operator), "电话确认已送达")
    commit()
    rejected = place_order(make_buyer(), product, 1, accept=False)
    reject_order(rejected, store_actor(store.id), "今天休息")
    commit()

    assert new_domain.heard == [
        ("moved", order.no, S.PENDING_ACCEPT, S.AWAITING_SHIPMENT),
        ("paid", order.no),
        ("moved", order.no, S.AWAITING_SHIPMENT, S.SHIPPED),
        ("moved", order.no, S.SHIPPED, S.COMPLETED),
        ("moved", rejected.no, S.PENDING_ACCEPT, S.CLOSED),
        ("closed", rejected.no, S.PENDING_ACCEPT),
    ]
    assert committed_region_names() == {
        written_name(order.no, S.AWAITING_SHIPMENT),
        written_name(order.no, S.SHIPPED),
        written_name(order.no, S.COMPLETED),
        written_name(rejected.no, S.CLOSED),
    }
    assert dict(committed(select(Order.no, Order.status))) == {
        order.no: S.COMPLETED,
        rejected.no: S.CLOSED,
    }


def test_a_move_the_new_domain_refuses_rolls_back_the_order_and_its_own_write(
    new_domain, store, client, login
):
    operator = make_user(Role.OPERATOR)
    product = make_product(store, "海南鸡饭", price_fen=2800, stock=10)
    order = place_order(make_buyer(), product, 3)  # the store accepted it: goods are prepared
    new_domain.refuse_closing.add(order.no)
    events_before = committed(select(func.count(OrderEvent.id)))
    regions_before = committed_region_names()
    login(operator)

    response = client.post(
        f"/platform/orders/{order.id}/status",
        data={"to": S.CLOSED, "remark": "客户取消", "confirm_close": "y"},
    )

    assert response.status_code == 409
    assert "测试：新业务不同意关闭这个订单" in response.get_data(as_text=True)
    # the new domain was told and wrote its row before it said no...
    assert new_domain.heard[-2:] == [
        ("moved", order.no, S.AWAITING_SHIPMENT, S.CLOSED),
        ("closed", order.no, S.AWAITING_SHIPMENT),
    ]
    # ...and nothing of the refused move is kept: not the order's, not the new domain's
    assert committed(select(Order.status).where(Order.id == order.id)) == [(S.AWAITING_SHIPMENT,)]
    assert committed(select(Sku.stock).where(Sku.product_id == product.id)) == [(7,)]
    assert committed(select(func.count(OrderEvent.id))) == events_before
    assert committed_region_names() == regions_before
    assert written_name(order.no, S.CLOSED) not in regions_before


# ---- the import rules, as tests ------------------------------------------------------------------


def _python_files(root: Path) -> list[Path]:
    files = sorted(root.rglob("*.py"))
    assert files, f"no Python files under {root}"
    return files


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_no_import_hides_inside_a_function_in_app():
    found = []
    for path in _python_files(APP_DIR):
        for node in ast.walk(_parse(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        where = path.relative_to(APP_DIR.parent)
                        found.append(f"{where}:{inner.lineno} in {node.name}()")
    assert found == []


def _imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """Every module a file imports, relative imports resolved against its package."""
    modules = []
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import):
            modules += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            modules.append((node.lineno, base))
            modules += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return modules


def test_the_ordering_package_imports_no_fulfilment_domain():
    ordering = APP_DIR / "ordering"
    found = []
    for path in _python_files(ordering):
        package = ".".join(("app", *path.relative_to(APP_DIR).parent.parts))
        for line, module in _imported_modules(path, package):
            if any(
                module == domain or module.startswith(f"{domain}.") for domain in FULFILMENT_DOMAINS
            ):
                found.append(f"{path.relative_to(APP_DIR.parent)}:{line} imports {module}")
    assert found == []
