"""Checks before measuring: no errors, 24 cards, same data everywhere, round trips counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from bench.handwritten import CALL_OPS_HEADER, CALLS_HEADER
from bench.scenarios import GRAPHQL_HEADERS, LISTING_PAGE, Scenario


class CheckFailed(RuntimeError):
    """A server answered wrongly; the benchmark does not measure wrong answers."""


@dataclass
class RoundTrips:
    """Data-source round trips per request of one scenario on one server."""

    totals: list[int] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def mean(self) -> float:
        """Mean round trips per request."""
        return sum(self.totals) / len(self.totals) if self.totals else 0.0

    def per_request_calls(self) -> dict[str, float]:
        """Mean calls per request, by ``service.Operation``."""
        count = len(self.totals) or 1
        return {name: n / count for name, n in sorted(self.calls.items())}


def normalize(value: Any) -> Any:
    """``value`` with URL query strings (presigned signatures and dates) removed."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, str) and value.startswith("http"):
        return value.split("?", 1)[0]
    return value


def first_difference(left: Any, right: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, or None when they are equal."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            if key not in left or key not in right:
                return f"{path}.{key}: present on one side only"
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items != {len(right)}"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if left == right else f"{path}: {left!r} != {right!r}"


def _listing_cards(data: dict[str, Any]) -> int:
    return len(data["category"]["products"]["edges"])


async def check_server(
    base_url: str, scenario: Scenario, *, graphql: bool, reference: dict[str, Any]
) -> RoundTrips:
    """Send every request of ``scenario`` once; compare with (or fill) ``reference``."""
    trips = RoundTrips()
    headers = GRAPHQL_HEADERS if graphql else {}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        for index, call in enumerate(scenario.calls(graphql)):
            response = await client.request(call.method, call.path, content=call.body)
            if response.status_code != 200:
                raise CheckFailed(f"{base_url}{call.path}: HTTP {response.status_code}")
            body = orjson.loads(response.content)
            if graphql:
                if body.get("errors"):
                    raise CheckFailed(f"{scenario.key}: GraphQL errors {body['errors']}")
                data = body["data"]
                sources = body["extensions"]["dataSources"]
                trips.totals.append(int(sources["total"]))
                trips.calls.update(sources["calls"])
            else:
                data = body
                trips.totals.append(int(response.headers[CALLS_HEADER]))
                for item in filter(None, response.headers[CALL_OPS_HEADER].split(",")):
                    name, count = item.split("=")
                    trips.calls[name] += int(count)
            if scenario.listing and _listing_cards(data) != LISTING_PAGE:
                raise CheckFailed(f"{scenario.key}: {_listing_cards(data)} cards, not 24")
            key = f"{scenario.key}:{index}"
            if key not in reference:
                reference[key] = normalize(data)
            elif diff := first_difference(reference[key], normalize(data)):
                raise CheckFailed(f"{scenario.key} differs from the GraphQL answer at {diff}")
    return trips
