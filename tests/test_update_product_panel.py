"""The panel's product forms (Playwright, Debian's Chromium): an operator changes a product's price, list price,
stock and promotions; a change the brief rules refuse shows the field and why; everything is shown as text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_control_support import LiveServer

# the browser fixture and Playwright's names, through test_panel: it skips without playwright or chromium
from test_panel import Page, expect, log_in, page  # noqa: F401


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("panel-products")) as s:
        yield s


def test_an_operator_changes_a_products_price_and_stock_in_the_panel(page: Page,  # noqa: F811 - the fixture
                                                                    server: LiveServer) -> None:
    sid = server.create_stream("Price room")
    log_in(page, server)
    page.click("#stream-list li >> text=Price room")
    form = page.locator("#product-forms form[data-id=lamp-2]")
    expect(form.locator("[name=price]")).to_have_value("24")
    form.locator("[name=list_price]").fill("20")
    form.locator("button").click()
    expect(form.locator(".error")).to_contain_text("list_price: list_price 20 is below price 24")
    hostile = '<img src=x onerror="window.pwned=1"> carry pouch with every lamp'
    form.locator("[name=price]").fill("21")
    form.locator("[name=list_price]").fill("30")
    form.locator("[name=stock]").fill("0")
    form.locator("[name=promotions]").fill(hostile)
    form.locator("button").click()
    expect(form.locator(".ok")).to_have_text("Updated")
    expect(form.locator(".error")).to_have_text("")
    lamp = server.client.get(f"/api/streams/{sid}").json()["brief"]["products"][0]
    assert (lamp["price"], lamp["list_price"], lamp["stock"], lamp["promotions"]) == (21, 30, 0, [hostile])
    page.reload()
    page.click("#stream-list li >> text=Price room")
    expect(form.locator("[name=promotions]")).to_have_value(hostile)  # shown as text
    assert page.locator("#product-forms img").count() == 0 and not page.evaluate("window.pwned")
