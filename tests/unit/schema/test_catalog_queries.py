"""The catalog queries through the real schema, on the fake catalog."""

from __future__ import annotations

from resolvers.global_ids import to_global_id
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.catalog import FakeAssetUrls, FakeCatalog
from tests.graphql_client import ANONYMOUS, SchemaClient

LISTING = """
query Listing($first: Int, $after: String, $filter: ProductFilterInput, $sort: ProductSort! = NAME_ASC) {
  products(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name brand priceRange { min { amount currency } } } }
  }
}
"""


async def test_listing_pages_through_every_product_once(client: SchemaClient) -> None:
    # given a catalog of 30 products
    seen: list[str] = []
    after = None
    # when paging 12 at a time
    for _ in range(3):
        data, errors = await client.execute(LISTING, {"first": 12, "after": after})
        assert errors == []
        connection = data["products"]
        seen += [e["node"]["name"] for e in connection["edges"]]
        after = connection["pageInfo"]["endCursor"]
    # then every product appears once, in name order, and the last page says so
    assert seen == [f"Product {i:03d}" for i in range(30)]
    assert connection["pageInfo"]["hasNextPage"] is False
    assert connection["pageInfo"]["hasPreviousPage"] is True
    assert connection["totalCount"] == 30


async def test_listing_filters_by_brand_tags_and_price(client: SchemaClient) -> None:
    # given products whose brand alternates and whose every third product is velvet
    variables = {
        "first": 50,
        "filter": {"brand": "Nordhem", "tags": ["velvet"], "minPrice": 11_000, "maxPrice": 12_500},
        "sort": "PRICE_ASC",
    }
    # when filtering
    data, errors = await client.execute(LISTING, variables)
    # then only even multiples of 3 whose price range overlaps 110.00-125.00 EUR remain
    assert errors == []
    names = [e["node"]["name"] for e in data["products"]["edges"]]
    assert names == ["Product 000", "Product 006", "Product 012", "Product 018", "Product 024"]


async def test_listing_sorted_by_price_descending(client: SchemaClient) -> None:
    data, errors = await client.execute(LISTING, {"first": 3, "sort": "PRICE_DESC"})
    assert errors == []
    amounts = [e["node"]["priceRange"]["min"]["amount"] for e in data["products"]["edges"]]
    assert amounts == [12_900, 12_800, 12_700]


async def test_listing_by_category_includes_descendants(client: SchemaClient) -> None:
    # given every product is in Furniture > Sofas
    furniture = to_global_id("Category", "furniture")
    lighting = to_global_id("Category", "lighting")
    # when filtering by the parent and by an unrelated category
    data, errors = await client.execute(LISTING, {"filter": {"categoryId": furniture}})
    empty, empty_errors = await client.execute(LISTING, {"filter": {"categoryId": lighting}})
    # then the parent includes them and the other category has none
    assert errors == []
    assert empty_errors == []
    assert data["products"]["totalCount"] == 30
    assert empty["products"]["totalCount"] == 0


async def test_oversized_page_is_a_typed_error(client: SchemaClient) -> None:
    data, errors = await client.execute(LISTING, {"first": 101})
    assert data is None
    assert errors[0]["message"] == "first must be between 1 and 100, got 101"
    assert errors[0]["extensions"] == {"errorType": "BadUserInput", "code": "BAD_USER_INPUT"}


async def test_garbage_cursor_is_a_typed_error(client: SchemaClient) -> None:
    data, errors = await client.execute(LISTING, {"after": "not-a-cursor!!"})
    assert data is None
    assert errors[0]["extensions"]["errorType"] == "BadUserInput"
    assert "cursor" in errors[0]["message"]


async def test_cursor_of_another_sort_is_rejected(client: SchemaClient) -> None:
    data, _ = await client.execute(LISTING, {"first": 2, "sort": "PRICE_ASC"})
    cursor = data["products"]["pageInfo"]["endCursor"]
    _, errors = await client.execute(LISTING, {"after": cursor, "sort": "NAME_ASC"})
    assert errors[0]["message"] == "The cursor belongs to another sort order or listing"


PRODUCT = """
query Product($id: ID, $slug: String) {
  product(id: $id, slug: $slug) {
    id slug name version
    category { name ancestors { name } }
    variants { sku availability quantityAvailable price { amount currency } }
    assets { id triangleCount sources { lod url } posterUrl materialVariants { variantName optionValue } }
  }
}
"""


async def test_product_page_by_slug(client: SchemaClient) -> None:
    data, errors = await client.execute(PRODUCT, {"slug": "product-003"})
    assert errors == []
    product = data["product"]
    assert product["id"] == to_global_id("Product", "prod-003")
    assert product["category"] == {"name": "Sofas", "ancestors": [{"name": "Furniture"}]}
    assert product["variants"][0] == {
        "sku": "SKU-003-G",
        "availability": "LOW_STOCK",
        "quantityAvailable": 3,
        "price": {"amount": 10_300, "currency": "EUR"},
    }
    asset = product["assets"][0]
    assert asset["sources"][1] == {"lod": 1, "url": "https://cdn.test/assets/asset-003/lod1.glb"}
    assert asset["posterUrl"] == "https://cdn.test/assets/asset-003/poster.png"
    assert asset["materialVariants"] == [{"variantName": "Green velvet", "optionValue": "Green"}]


async def test_unknown_product_is_null_without_error(client: SchemaClient) -> None:
    data, errors = await client.execute(PRODUCT, {"id": to_global_id("Product", "nope")})
    assert errors == []
    assert data == {"product": None}


async def test_invalid_ids_are_typed_errors(client: SchemaClient) -> None:
    # garbage base64, a well-formed ID of another type, and an ID of an unknown type
    cases = {
        "%%%": "'%%%' is not a valid ID",
        to_global_id("Category", "sofas"): "is the ID of a Category, not of a Product",
        "VXNlcjox": "'VXNlcjox' is not a valid ID",
    }
    for given, expected in cases.items():
        data, errors = await client.execute(PRODUCT, {"id": given})
        assert data == {"product": None}
        assert expected in errors[0]["message"]
        assert errors[0]["extensions"]["errorType"] == "InvalidId"


async def test_node_resolves_each_type(client: SchemaClient) -> None:
    query = """
    query($p: ID!, $c: ID!, $a: ID!) {
      p: node(id: $p) { __typename id ... on Product { name } }
      c: node(id: $c) { __typename ... on Category { name } }
      a: node(id: $a) { __typename ... on Asset3D { triangleCount } }
    }"""
    variables = {
        "p": to_global_id("Product", "prod-001"),
        "c": to_global_id("Category", "chairs"),
        "a": to_global_id("Asset3D", "asset-001"),
    }
    data, errors = await client.execute(query, variables)
    assert errors == []
    assert data == {
        "p": {"__typename": "Product", "id": variables["p"], "name": "Product 001"},
        "c": {"__typename": "Category", "name": "Chairs"},
        "a": {"__typename": "Asset3D", "triangleCount": 1200},
    }


async def test_category_tree_and_category_products(client: SchemaClient) -> None:
    query = """
    { categories { name children { name parent { name } } }
      category(slug: "sofas") { name products(first: 2) { totalCount nodes { name } } } }"""
    data, errors = await client.execute(query)
    assert errors == []
    assert data["categories"] == [
        {
            "name": "Furniture",
            "children": [
                {"name": "Sofas", "parent": {"name": "Furniture"}},
                {"name": "Chairs", "parent": {"name": "Furniture"}},
            ],
        },
        {"name": "Lighting", "children": []},
    ]
    assert data["category"]["products"] == {
        "totalCount": 30,
        "nodes": [{"name": "Product 000"}, {"name": "Product 001"}],
    }


async def test_anonymous_caller_reads_nothing_and_costs_no_calls(client: SchemaClient) -> None:
    query = '{ products { totalCount } categories { name } product(slug: "product-001") { name } }'
    data, errors = await client.execute(query, identity=ANONYMOUS)
    assert data is None
    assert {e["extensions"]["errorType"] for e in errors} == {"UnauthorizedException"}
    assert client.last_calls.total == 0


async def test_dead_data_source_is_a_typed_error(
    client: SchemaClient, catalog: FakeCatalog
) -> None:
    # given the catalog goes down
    catalog.down = True
    data, errors = await client.execute(LISTING)
    # then the field fails with ServiceUnavailable and a request id, and recovers after
    assert data is None
    assert errors[0]["extensions"] == {
        "errorType": "ServiceUnavailable",
        "code": "SERVICE_UNAVAILABLE",
        "requestId": "test-request",
    }
    catalog.down = False
    data, errors = await client.execute(LISTING, {"first": 1})
    assert errors == []
    assert data["products"]["totalCount"] == 30


async def test_loaders_keep_round_trips_constant_where_naive_resolvers_grow(
    catalog: FakeCatalog,
) -> None:
    # given the same schema with and without batching loaders
    query = "query($n: Int!) { products(first: $n) { nodes { category { name } variants { availability } assets { id } } } }"
    batched = SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls())
    naive = SchemaClient(catalog, FakeBlobStore(), FakeAssetUrls(), batching=False)
    totals: dict[str, list[int]] = {"batched": [], "naive": []}
    # when listing 6 and 24 products
    for name, client in (("batched", batched), ("naive", naive)):
        for size in (6, 24):
            _, errors = await client.execute(query, {"n": size})
            assert errors == []
            totals[name].append(client.last_calls.total)
    # then loaders cost 4 calls at any size, and naive resolvers one per product and field
    assert totals["batched"] == [4, 4]
    assert totals["naive"] == [1 + 6 * 4, 1 + 24 * 4]
