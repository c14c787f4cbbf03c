"""What a list's rows are drawn with: times shown in Shanghai's, links and labels made once a
page and filled per row, the row's words escaped like everything else on the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from markupsafe import Markup

from app.accounts.models import Role
from app.clock import to_local
from app.jobs import commit
from app.stores.models import StoreKind
from app.web.template_helpers import fill, local_time
from app.web.urls import url_pattern
from tests.factories import (
    make_buyer,
    make_product,
    make_region,
    make_store,
    make_user,
    place_order,
)


def test_a_time_reads_as_in_shanghai_whatever_the_hour_and_day():
    start = datetime(2026, 12, 31, 15, 59, 59)  # 23:59:59 in Shanghai, the year's last minute
    for minutes in range(0, 60 * 24 * 3, 37):
        utc = start + timedelta(minutes=minutes)
        assert local_time(utc) == to_local(utc).strftime("%Y-%m-%d %H:%M")
    assert local_time(datetime(2026, 12, 31, 16, 0)) == "2027-01-01 00:00"


def test_other_formats_and_aware_or_missing_times_still_read_right():
    utc = datetime(2026, 6, 1, 4, 5)
    assert local_time(utc, "%m-%d %H:%M") == "06-01 12:05"
    assert local_time(utc.replace(tzinfo=UTC)) == "2026-06-01 12:05"
    assert local_time(None) == ""
    assert local_time(datetime(1988, 7, 1, 0, 0)) == to_local(datetime(1988, 7, 1)).strftime(
        "%Y-%m-%d %H:%M"
    )  # Shanghai kept summer time until 1991: the zone's own rules there


def test_a_label_filled_with_a_rows_words_escapes_them():
    label = Markup("客户：{}")
    assert fill(label, "<b>王</b>") == "客户：&lt;b&gt;王&lt;/b&gt;"
    assert fill("/sales/orders/{}", 42) == "/sales/orders/42"


def test_a_pattern_with_several_places_fills_each_in_its_order(app):
    with app.test_request_context("/"):
        pattern = url_pattern("media.product_image", "product_id", "n", "v", size="thumb")
        assert pattern.format(7, 2, "abc") == "/media/products/7/images/2?size=thumb&v=abc"
        assert url_pattern("store.order", "order_id").format(5) == "/store/orders/5"


def test_a_customer_named_with_markup_is_shown_as_text_on_the_phone_lists(client, login):
    region = make_region()
    member = make_buyer(region=region)
    wholesale = make_store(kind=StoreKind.WHOLESALE, name="批发行")
    order = place_order(member, make_product(wholesale, "整箱椰汁"), payment="bank_transfer")
    order.contact_name = '<img src=x onerror="alert(1)">'
    commit()
    login(make_user(Role.SALES_MANAGER, region=region))
    page = client.get("/sales/?tab=all").get_data(as_text=True)
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert '<img src=x onerror="alert(1)">' not in page
