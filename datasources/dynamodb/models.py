"""PynamoDB single-table models of the catalog.

One table holds every catalog entity, told apart by the ``kind`` discriminator:

=========  ===================  ==========  ====================  ======================
kind       pk                   sk          gsi1pk (by_kind)      gsi1sk
=========  ===================  ==========  ====================  ======================
PRODUCT    PRODUCT#<id>         PRODUCT     PRODUCT               <name casefold>#<id>
SLUG       SLUG#<slug>          SLUG        -                     -
CATEGORY   CATEGORY#<id>        CATEGORY    CATEGORY              <position>#<id>
ASSET      ASSET#<id>           ASSET       -                     -
STOCK      SKU#<sku>            STOCK       -                     -
UPLOAD     UPLOAD#<id>          UPLOAD      -                     -
JOB        JOB#<id>             JOB         -                     -
=========  ===================  ==========  ====================  ======================

The table name, region, endpoint and credentials come from settings, so the classes are
built per table by :func:`build_models` (PynamoDB caches a connection per class).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

BY_KIND_INDEX = "by_kind"


@dataclass(frozen=True)
class TableConfig:
    """Where the catalog table lives and how to reach it."""

    table_name: str
    region: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    connect_timeout_seconds: int = 2
    read_timeout_seconds: int = 5
    max_retry_attempts: int = 2


@dataclass(frozen=True)
class CatalogModels:
    """The model classes bound to one table."""

    item: type[Any]
    product: type[Any]
    slug: type[Any]
    category: type[Any]
    asset: type[Any]
    stock: type[Any]
    upload: type[Any]
    job: type[Any]


def build_models(config: TableConfig) -> CatalogModels:
    """Model classes bound to the table described by ``config``."""

    class TableMeta:
        table_name = config.table_name
        region = config.region
        host = config.endpoint_url
        aws_access_key_id = config.access_key_id
        aws_secret_access_key = config.secret_access_key
        connect_timeout_seconds = config.connect_timeout_seconds
        read_timeout_seconds = config.read_timeout_seconds
        max_retry_attempts = config.max_retry_attempts
        billing_mode = "PAY_PER_REQUEST"

    class ByKindIndex(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
        class Meta:
            index_name = BY_KIND_INDEX
            projection = AllProjection()

        gsi1pk = UnicodeAttribute(hash_key=True)
        gsi1sk = UnicodeAttribute(range_key=True)

    class CatalogItem(Model):
        Meta = TableMeta  # type: ignore[assignment]

        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        kind = DiscriminatorAttribute()
        gsi1pk = UnicodeAttribute(null=True)
        gsi1sk = UnicodeAttribute(null=True)
        by_kind = ByKindIndex()

    class ProductItem(CatalogItem, discriminator="PRODUCT"):
        product_id = UnicodeAttribute()
        slug = UnicodeAttribute()
        name = UnicodeAttribute()
        description = UnicodeAttribute()
        brand = UnicodeAttribute()
        category_id = UnicodeAttribute()
        category_path = ListAttribute(of=UnicodeAttribute)
        tags = ListAttribute(of=UnicodeAttribute)
        status = UnicodeAttribute()
        min_price = NumberAttribute()
        max_price = NumberAttribute()
        currency = UnicodeAttribute()
        dimensions = JSONAttribute()
        variants = JSONAttribute()
        media = JSONAttribute()
        asset_ids = ListAttribute(of=UnicodeAttribute)
        created_at = UTCDateTimeAttribute()
        updated_at = UTCDateTimeAttribute()
        version = VersionAttribute()

    class SlugItem(CatalogItem, discriminator="SLUG"):
        product_id = UnicodeAttribute()

    class CategoryItem(CatalogItem, discriminator="CATEGORY"):
        category_id = UnicodeAttribute()
        slug = UnicodeAttribute()
        name = UnicodeAttribute()
        parent_id = UnicodeAttribute(null=True)
        position = NumberAttribute()
        description = UnicodeAttribute()

    class AssetItem(CatalogItem, discriminator="ASSET"):
        asset_id = UnicodeAttribute()
        product_id = UnicodeAttribute(null=True)
        format = UnicodeAttribute()
        triangle_count = NumberAttribute()
        vertex_count = NumberAttribute()
        draw_calls = NumberAttribute()
        material_count = NumberAttribute()
        texture_count = NumberAttribute()
        byte_size = NumberAttribute()
        bounds = JSONAttribute()
        sources = JSONAttribute()
        sha256 = UnicodeAttribute()
        poster_key = UnicodeAttribute(null=True)
        master_key = UnicodeAttribute(null=True)
        material_variants = JSONAttribute()
        created_at = UTCDateTimeAttribute()
        report_key = UnicodeAttribute(null=True)
        renders = JSONAttribute(null=True)  # absent on assets written before renders

    class StockItem(CatalogItem, discriminator="STOCK"):
        sku = UnicodeAttribute()
        quantity_available = NumberAttribute()
        low_stock_threshold = NumberAttribute()

    class UploadItem(CatalogItem, discriminator="UPLOAD"):
        upload_id = UnicodeAttribute()
        product_id = UnicodeAttribute()
        object_key = UnicodeAttribute()
        file_name = UnicodeAttribute()
        content_type = UnicodeAttribute()
        max_bytes = NumberAttribute()
        expires_at = UTCDateTimeAttribute()

    class JobItem(CatalogItem, discriminator="JOB"):
        job_id = UnicodeAttribute()
        product_id = UnicodeAttribute()
        upload_key = UnicodeAttribute()
        file_name = UnicodeAttribute()
        status = UnicodeAttribute()
        attempts = NumberAttribute()
        progress = NumberAttribute()
        error = JSONAttribute(null=True)
        output_keys = ListAttribute(of=UnicodeAttribute, null=True)
        asset_id = UnicodeAttribute(null=True)
        worker_id = UnicodeAttribute(null=True)
        lease_until = UTCDateTimeAttribute(null=True)
        queued_at = UTCDateTimeAttribute()
        started_at = UTCDateTimeAttribute(null=True)
        finished_at = UTCDateTimeAttribute(null=True)
        job_kind = UnicodeAttribute(null=True)  # absent on ingest jobs written before renders
        render = JSONAttribute(null=True)
        render_outputs = JSONAttribute(null=True)
        poster_job_id = UnicodeAttribute(null=True)

    return CatalogModels(
        item=CatalogItem,
        product=ProductItem,
        slug=SlugItem,
        category=CategoryItem,
        asset=AssetItem,
        stock=StockItem,
        upload=UploadItem,
        job=JobItem,
    )


def product_key(product_id: str) -> tuple[str, str]:
    """Primary key of a product item."""
    return f"PRODUCT#{product_id}", "PRODUCT"


def slug_key(slug: str) -> tuple[str, str]:
    """Primary key of the item that reserves a product slug."""
    return f"SLUG#{slug}", "SLUG"


def category_key(category_id: str) -> tuple[str, str]:
    """Primary key of a category item."""
    return f"CATEGORY#{category_id}", "CATEGORY"


def asset_key(asset_id: str) -> tuple[str, str]:
    """Primary key of a 3D asset item."""
    return f"ASSET#{asset_id}", "ASSET"


def stock_key(sku: str) -> tuple[str, str]:
    """Primary key of a SKU's availability counter."""
    return f"SKU#{sku}", "STOCK"


def upload_key(upload_id: str) -> tuple[str, str]:
    """Primary key of an upload ticket."""
    return f"UPLOAD#{upload_id}", "UPLOAD"


def job_key(job_id: str) -> tuple[str, str]:
    """Primary key of an ingest job."""
    return f"JOB#{job_id}", "JOB"
