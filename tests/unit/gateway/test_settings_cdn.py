"""Settings of the response cache and CloudFront invalidations."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.bootstrap import build_cdn_invalidator, build_response_cache
from gateway.settings import Settings


def test_cdn_paths_are_a_comma_list_or_json() -> None:
    assert Settings(
        VITRINE_CDN_INVALIDATION_PATHS="/graphql*, /storefront*"
    ).cdn_invalidation_paths == [  # type: ignore[call-arg]
        "/graphql*",
        "/storefront*",
    ]
    assert Settings(VITRINE_CDN_INVALIDATION_PATHS='["/a"]').cdn_invalidation_paths == ["/a"]  # type: ignore[call-arg]


@pytest.mark.parametrize("paths", ["graphql*", "", "[]"])
def test_bad_cdn_paths_are_refused_by_name(paths: str) -> None:
    with pytest.raises(ValidationError, match="VITRINE_CDN_INVALIDATION_PATHS"):
        Settings(VITRINE_CDN_INVALIDATION_PATHS=paths)  # type: ignore[call-arg]


def test_no_distribution_id_means_no_cdn_invalidator() -> None:
    assert build_cdn_invalidator(Settings()) is None  # type: ignore[call-arg]


def test_the_response_cache_is_off_when_asked_or_without_max_age() -> None:
    assert build_response_cache(Settings(VITRINE_RESPONSE_CACHE=False)) is None  # type: ignore[call-arg]
    assert build_response_cache(Settings(VITRINE_HTTP_CACHE_MAX_AGE=0)) is None  # type: ignore[call-arg]
    assert build_response_cache(Settings()) is not None  # type: ignore[call-arg]
