"""The pages under their Content-Security-Policy in Chromium: nothing refused, and what moved
from inline code to static files still works."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


def test_chromium_refuses_nothing_on_the_pages_and_their_scripts_run(people):
    """The storefront (phone layout) and the back office (desktop layout) load without one
    policy violation or other console error (a moved script that is missing would show one),
    and the stepper and the sidebar's style, moved to static files, work."""
    errors: list[str] = []

    def watched(who: str, device: dict):
        person = people(who, device)

        def complain(message) -> None:
            # the browser asks for /favicon.ico by itself; the site has none
            if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
                errors.append(f"{who}: {message.text}")

        person.page.on("console", complain)
        return person

    buyer = watched("buyer", PHONE)
    page = buyer.login("13800000007")
    page.get_by_role("link", name=re.compile("椰城小厨")).click()
    page.locator("article.product").first.get_by_role("button", name="加入购物车").first.click()
    page.wait_for_load_state("networkidle")
    buyer.go("/shop/cart")
    quantity = page.locator("#cart input[name=quantity][type=number]").first
    page.get_by_role("button", name="增加").first.click()  # stepper.js, then htmx posts it
    page.wait_for_load_state("networkidle")
    assert quantity.input_value() == "2"
    buyer.go("/shop/checkout")
    page.wait_for_load_state("networkidle")

    store = watched("store", DESKTOP)
    desk = store.login("13800000003")
    sidebar_store = desk.locator(".sidebar-store")
    assert sidebar_store.evaluate("e => getComputedStyle(e).paddingLeft") == "16px"
    store.go("/store/printer")
    desk.wait_for_load_state("networkidle")

    assert errors == []
