"""The storefront's live updates in headless Chromium against a real gateway (moto Cognito,
PostgreSQL, the demo models): graphql-ws from the local npm package subscribes to the order's
status after checkout and to the stock of the product on screen; the page changes without a
reload when a merchant moves the order (an HTTP mutation sent by the test) or another shopper
buys, and catches up on what it missed when its WebSocket drops."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from playwright.async_api import Page

from datasources.events.records import Topic
from gateway.local_cognito import demo_user
from tests.e2e.conftest import ARTIFACTS, SocketSwitch, Storefront, Visit, sign_in_token
from tests.support.shopping_api import ORDER_FULFILL

pytestmark = pytest.mark.integration


def _subscribers(storefront: Storefront, topic: Topic) -> int:
    count: int = storefront.events.subscribers_of(topic)  # type: ignore[attr-defined]
    return count


async def _subscribed(storefront: Storefront, topic: Topic, count: int) -> None:
    """Wait until the gateway has ``count`` subscribers of ``topic`` (bounded)."""
    async with asyncio.timeout(30):
        # Counts, not time: the bus reports its subscribers, it has no event to wait on.
        while _subscribers(storefront, topic) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def _buy(storefront: Storefront, page: Page, slug: str) -> str:
    """Put one unit of ``slug`` in the cart, sign in as the demo shopper and pay with the test
    Visa; the order's ID (the order page is on screen, PAID)."""
    await page.goto(f"{storefront.url}/storefront#/product/{slug}", wait_until="networkidle")
    await page.click("#add-to-cart")
    await page.wait_for_selector("#cart-status [data-code='ADDED']")
    await page.goto(f"{storefront.url}/storefront#/signin?next=cart")
    user = demo_user("shopper")
    await page.fill("#signin input[name=email]", user.username)
    await page.fill("#signin input[name=password]", user.password)
    await page.click("#signin button[type=submit]")
    await page.wait_for_selector("section.cart[data-items='1']")
    await page.select_option("#checkout select[name=payment]", "pm_card_visa")
    await page.click("#pay")
    await page.wait_for_selector("#order-status[data-status='PAID']", timeout=20_000)
    return page.url.rsplit("#/order/", 1)[1]


async def _fulfil(storefront: Storefront, order_id: str) -> None:
    """The merchant fulfils the order over HTTP, signed in through the local Cognito pool."""
    token = await sign_in_token(storefront, "admin")
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{storefront.url}/graphql",
            json={"query": ORDER_FULFILL, "variables": {"id": order_id, "key": uuid.uuid4().hex}},
            headers={"authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["orderFulfill"]["__typename"] == "OrderFulfillSuccess"


async def test_order_status_and_stock_change_on_screen_without_a_reload(
    visit: Visit, storefront: Storefront
) -> None:
    # given a visitor looking at the sofa (live stock of each of its three variants)
    stock_subscribers = _subscribers(storefront, Topic.INVENTORY_CHANGED)
    order_subscribers = _subscribers(storefront, Topic.ORDER_STATUS_CHANGED)
    viewer = await visit()
    await viewer.page.goto(f"{storefront.url}/storefront#/product/harbor-sofa")
    stock = viewer.page.locator("#stock[data-sku='HARBOR-SOFA-EMERALD-VELVET']")
    await stock.wait_for()
    before = int(await stock.get_attribute("data-available") or "0")
    await _subscribed(storefront, Topic.INVENTORY_CHANGED, stock_subscribers + 3)
    await viewer.page.evaluate("window.notReloaded = true")

    # when a shopper buys that sofa in another browser
    shopper = await visit()
    order_id = await _buy(storefront, shopper.page, "harbor-sofa")
    await shopper.page.evaluate("window.notReloaded = true")
    # then the visitor's page shows one fewer in stock
    await viewer.page.wait_for_selector(f"#stock[data-available='{before - 1}']")

    # when the merchant fulfils the order, once the shopper's page follows it
    await _subscribed(storefront, Topic.ORDER_STATUS_CHANGED, order_subscribers + 1)
    await _fulfil(storefront, order_id)
    # then the shopper's order page shows it, without a reload
    await shopper.page.wait_for_selector("#order-status[data-status='FULFILLED']")
    ARTIFACTS.mkdir(exist_ok=True)
    await shopper.page.screenshot(path=str(ARTIFACTS / "storefront-order-live.png"))
    assert await stock.inner_text() == f"{before - 1} in stock"
    assert await shopper.page.inner_text("#order-status") == "FULFILLED"
    assert await shopper.page.inner_text("#live-status") == "● Live"
    assert await viewer.page.evaluate("window.notReloaded") is True
    assert await shopper.page.evaluate("window.notReloaded") is True
    assert viewer.outside == shopper.outside == []


async def test_order_page_catches_up_after_its_websocket_drops(
    visit: Visit, storefront: Storefront
) -> None:
    # given a shopper on their new order's page, whose WebSockets the test can cut and hold
    shopper = await visit()
    switch = SocketSwitch()
    await switch.attach(shopper.page)
    order_id = await _buy(storefront, shopper.page, "nook-loveseat")
    await shopper.page.wait_for_selector("#live-status[data-state='live']")
    await shopper.page.evaluate("window.notReloaded = true")

    # when its connection drops, and the reconnection hangs while the merchant fulfils it
    switch.hold_next()
    await switch.cut()
    await shopper.page.wait_for_selector("#live-status[data-state='reconnecting']")
    await switch.wait_held()
    await _fulfil(storefront, order_id)
    missed = await shopper.page.inner_text("#order-status")
    # and the hung connection is given up, so that the page connects again
    await switch.release()

    # then the page, connected again, reads the status it missed, without a reload
    await shopper.page.wait_for_selector("#order-status[data-status='FULFILLED']")
    await shopper.page.wait_for_selector("#live-status[data-state='live']")
    assert missed == "PAID"
    assert await shopper.page.evaluate("window.notReloaded") is True
    assert shopper.outside == []
