"""Buy: an anonymous cart with the API key, sign in through Cognito, merge the cart, pay with
the test provider, read the order.

    python -m client_examples.python.buy --endpoint http://127.0.0.1:8000/graphql \\
        --email shopper@vitrine.local --password Vitrine-Shopper-1 --sku <SKU> --product <slug>
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from client_examples.python.client import Vitrine, arguments, euros


def cognito_sign_in(endpoint: str, client_id: str, email: str, password: str) -> str:
    """An access token from Cognito's InitiateAuth (USER_PASSWORD_AUTH)."""
    response = httpx.post(
        endpoint,
        headers={
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
        json={
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client_id,
            "AuthParameters": {"USERNAME": email, "PASSWORD": password},
        },
        timeout=30,
    )
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or "AuthenticationResult" not in body:
        raise SystemExit(f"sign-in failed: {body.get('__type')}: {body.get('message')}")
    token: str = body["AuthenticationResult"]["AccessToken"]
    return token


def storefront_cognito(client: Vitrine) -> dict[str, str]:
    """The user pool's endpoint and app client, from the gateway's storefront config."""
    url = client.endpoint.removesuffix("/graphql") + "/storefront/config.json"
    config = client.http.get(url).json().get("cognito")
    if not config:
        raise SystemExit(f"{url} names no user pool: pass --cognito-endpoint and --client-id")
    return dict(config)


def buy(
    client: Vitrine, product_slug: str, sku: str | None, access_token: str, payment: str
) -> dict[str, Any]:
    """Add one unit to an anonymous cart, sign in, merge, check out; the outcome."""
    product = client.execute("ProductPage", {"slug": product_slug})["product"]
    variant = next(v for v in product["variants"] if sku in (None, v["sku"]))
    created = client.execute("CartCreate", {"idempotencyKey": uuid.uuid4().hex})["cartCreate"]
    client.cart_token = created["cartToken"]
    added: dict[str, Any] = client.execute(
        "CartLinesAdd",
        {
            "cartId": created["cart"]["id"],
            "lines": [{"productId": product["id"], "sku": variant["sku"], "quantity": 1}],
            "idempotencyKey": uuid.uuid4().hex,
        },
    )["cartLinesAdd"]
    if added["__typename"] != "CartLinesAddSuccess":
        return added
    client.access_token = access_token
    merged: dict[str, Any] = client.execute(
        "CartMerge",
        {"anonymousCartId": created["cart"]["id"], "idempotencyKey": uuid.uuid4().hex},
    )["cartMerge"]
    if merged["__typename"] != "CartMergeSuccess":
        return merged
    client.cart_token = None
    paid: dict[str, Any] = client.execute(
        "CheckoutComplete",
        {
            "cartId": merged["cart"]["id"],
            "paymentToken": payment,
            "idempotencyKey": uuid.uuid4().hex,
            "expectedVersion": merged["cart"]["version"],
        },
    )["checkoutComplete"]
    if paid["__typename"] != "CheckoutCompleteSuccess":
        return paid
    order: dict[str, Any] = client.execute("Order", {"id": paid["order"]["id"]})["order"]
    return {"__typename": "Order", **order}


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--product", required=True, help="the product's slug")
    parser.add_argument("--sku", help="the variant's SKU (default: the first)")
    parser.add_argument("--email", default="shopper@vitrine.local")
    parser.add_argument("--password", default="Vitrine-Shopper-1")
    parser.add_argument("--payment", default="pm_card_visa", help="a test payment method")
    parser.add_argument("--cognito-endpoint", help="default: from /storefront/config.json")
    parser.add_argument("--client-id", help="the user pool app client id")
    args = parser.parse_args()
    with Vitrine(endpoint=args.endpoint, api_key=args.api_key) as client:
        pool = (
            {"endpoint": args.cognito_endpoint, "clientId": args.client_id}
            if args.cognito_endpoint and args.client_id
            else storefront_cognito(client)
        )
        token = cognito_sign_in(pool["endpoint"], pool["clientId"], args.email, args.password)
        outcome = buy(client, args.product, args.sku, token, args.payment)
    if outcome["__typename"] != "Order":
        raise SystemExit(f"{outcome['__typename']}: {outcome['code']}: {outcome['message']}")
    print(f"Order {outcome['number']} {outcome['status']}: {euros(outcome['totals']['total'])}")
    for line in outcome["lines"]:
        print(f"  {line['quantity']} x {line['product']['name']} ({line['sku']})")


if __name__ == "__main__":
    main()
