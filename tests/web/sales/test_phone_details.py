"""业务端 phone details (#12 §6): the order names its store, a confirmed order takes the manager
to the tab it went to, empty selects answer next to the select, 退出登录 lives under 我的."""

from __future__ import annotations

from app.accounts.models import Role
from app.extensions import db
from app.jobs import commit
from app.ordering.states import OrderStatus
from tests.factories import make_buyer, make_user
from tests.support.wholesale_world import client_of, confirmed, order_of

HTMX = {"HX-Request": "true"}


def header(page: str) -> str:
    return page[page.index('<header class="phone-top">') : page.index("</header>")]


def test_the_order_page_names_its_store(world, client, login):
    order = order_of(world)
    login(world.manager)
    page = client.get(f"/sales/orders/{order.id}").text
    assert "店铺" in page and "椰风批发" in page


def test_after_confirming_the_manager_lands_on_the_tab_the_order_went_to(world, client, login):
    order = order_of(world)
    login(world.manager)
    response = client.post(f"/sales/orders/{order.id}/confirm", follow_redirects=True)
    assert response.request.path == "/sales/"
    assert response.request.args["tab"] == OrderStatus.AWAITING_SHIPMENT
    page = response.text
    assert f"订单已确认：{order.no} 已移到“待发货”" in page  # the flash says where it went
    assert 'class="active"' in page and "待发货 1" in page
    assert f'href="/sales/orders/{order.id}"' in page  # and there it is, one tap away
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_an_empty_driver_choice_is_answered_next_to_the_select(world, client, login):
    order = confirmed(world, order_of(world))
    login(world.manager)
    page = client.get(f"/sales/orders/{order.id}").text
    select = page[page.index('<select name="driver_id"') :]
    assert "required" not in select[: select.index(">")]  # the server answers, in Chinese
    response = client.post(f"/sales/orders/{order.id}/driver", data={"driver_id": ""}, headers=HTMX)
    assert response.status_code == 422
    block = response.text
    assert block.index("</select>") < block.index('<p class="field-error">请选择司机</p>')
    assert 'aria-invalid="true"' in block
    db.session.refresh(order)
    assert order.status == OrderStatus.AWAITING_SHIPMENT


def test_choosing_a_driver_where_there_is_none_says_so_inline(world, app):
    """A stale page (the region's last driver was removed meanwhile) posts an empty choice."""
    manager = make_user(Role.SALES_MANAGER, region=world.sanya, name="三亚经理")
    buyer = make_buyer(world.sanya, name="三亚客户")
    commit()
    order = confirmed(world, order_of(world, buyer=buyer))
    browser = client_of(app, manager)
    page = browser.get(f"/sales/orders/{order.id}").text
    assert "本区域还没有司机" in page and 'name="driver_id"' not in page
    for headers in ({}, HTMX):
        response = browser.post(
            f"/sales/orders/{order.id}/driver", data={"driver_id": ""}, headers=headers
        )
        assert response.status_code == 422
        assert '<p class="field-error">请选择司机</p>' in response.text
        assert "本区域还没有司机" in response.text


def test_no_logout_in_the_sales_header_but_at_the_bottom_of_my_page(world, client, login):
    login(world.manager)
    for url in ("/sales/", "/sales/qr", "/sales/proxy"):
        page = client.get(url).text
        assert "退出" not in header(page) and "/logout" not in header(page)
        assert 'href="/sales/me"' in page
    page = client.get("/sales/me").text
    assert "王经理" in page and "13800000001" in page and "海口" in page
    assert 'aria-current="page">' in page and "我的二维码" in page
    main = page[page.index("<main") : page.index("</main>")]
    logout = main.rindex('action="/logout"')
    assert "退出登录" in main[logout:] and "<a " not in main[logout:]


def test_the_status_tabs_keep_all_and_its_label(world, client, login):
    login(world.manager)
    page = client.get("/sales/").text
    tabs = page[
        page.index('<nav class="tabs"') : page.index("</nav>", page.index('<nav class="tabs"'))
    ]
    assert tabs.rstrip().endswith("全部</a>")
