"""Reads of the media library: assets by fileId or path, loaded for the wire format."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, Field, OuterRef, Prefetch, Q, QuerySet

from core.db import column_sql, model_from_row
from core.exceptions import NotFound
from medialib.models import AITag, ApiKey, Asset, AssetTag

FILE_NOT_FOUND_MESSAGE = "The requested file does not exist."


def assets_for_listing(queryset: QuerySet[Asset]) -> QuerySet[Asset]:
    """`queryset` loading folder, current version, tags and AI tags in a fixed number of queries.

    Use it for every query whose assets go through `wire.file_details`.
    """
    return queryset.select_related("current_version", "folder").prefetch_related(
        Prefetch("asset_tags", queryset=AssetTag.objects.select_related("tag")),
        "ai_tags",
    )


# The columns `wire.file_objects` reads; the others (storage keys, checksum, the
# version's JSON of post-transformations and its dates) would only be decoded.
_FILE_OBJECT_COLUMNS = (
    "file_id",
    "name",
    "file_path",
    "file_type",
    "is_private",
    "is_published",
    "description",
    "custom_coordinates",
    "custom_metadata",
    "created_at",
    "updated_at",
    "current_version__version_id",
    "current_version__number",
    "current_version__thumbnail_key",
    "current_version__size",
    "current_version__mime",
    "current_version__width",
    "current_version__height",
    "current_version__has_alpha",
    "current_version__embedded_metadata",
)


@dataclass(frozen=True)
class FilePage:
    """A page of files for `wire.file_objects`: the assets, with their current versions,
    and the tag names and AI tags (name, confidence, source) of each by asset id."""

    assets: list[Asset]
    tag_names: dict[int, list[str]]
    ai_tags: dict[int, list[tuple[str, Decimal, str]]]


def file_page(queryset: QuerySet[Asset]) -> FilePage:
    """The assets of `queryset` (a page of it), their tags and AI tags, in three queries.

    The tags are read as values, in the order `assets_for_listing` prefetches them:
    prefetch_related builds a model instance for each tag and a queryset for each
    asset, most of the time of a page of 1,000 files.
    """
    assets = list(queryset.select_related("current_version").only(*_FILE_OBJECT_COLUMNS))
    if not assets:
        return FilePage(assets=[], tag_names={}, ai_tags={})
    ids = [asset.pk for asset in assets]
    return FilePage(
        assets=assets,
        tag_names=tag_names_by_asset(asset_ids=ids),
        ai_tags=ai_tags_by_asset(asset_ids=ids),
    )


def tag_names_by_asset(*, asset_ids: list[int]) -> dict[int, list[str]]:
    """{asset id: its tag names in their order} in one query; untagged assets left out."""
    names: dict[int, list[str]] = {}
    for asset_id, name in AssetTag.objects.filter(asset_id__in=asset_ids).values_list(
        "asset_id", "tag__name"
    ):
        names.setdefault(asset_id, []).append(name)
    return names


def ai_tags_by_asset(*, asset_ids: list[int]) -> dict[int, list[tuple[str, Decimal, str]]]:
    """{asset id: its AI tags as (name, confidence, source), most confident first} in one
    query; assets without AI tags left out."""
    tags: dict[int, list[tuple[str, Decimal, str]]] = {}
    for asset_id, name, confidence, source in AITag.objects.filter(
        asset_id__in=asset_ids
    ).values_list("asset_id", "name", "confidence", "source"):
        tags.setdefault(asset_id, []).append((name, confidence, source))
    return tags


def asset_as_loaded(*, asset: Asset, asset_tags: list[AssetTag], ai_tags: list[AITag]) -> Asset:
    """`asset` as `assets_for_listing` loads it, from the rows its writer has in hand.

    For a writer that has just created the asset (its current version and folder set
    on it): the tag and AI-tag lists are put where prefetch_related puts them, so
    `wire.file_details` reads them without a query.
    """
    cache = asset.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in (("asset_tags", asset_tags), ("ai_tags", ai_tags)):
        # What Django's prefetch_related_objects does with the rows it fetched.
        queryset = getattr(asset, name).get_queryset()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
    return asset


def ai_tags_of(*, asset: Asset) -> list[AITag]:
    """The AI tags of `asset`, in the order `assets_for_listing` loads them."""
    return list(asset.ai_tags.all())


def asset_get(*, file_id: str) -> Asset:
    """The asset with this fileId, ready for `wire.file_details`; NotFound otherwise."""
    # PostgreSQL refuses NUL in text parameters; no real fileId has control characters.
    if not file_id.isprintable():
        raise NotFound(FILE_NOT_FOUND_MESSAGE)
    asset = assets_for_listing(Asset.objects.filter(file_id=file_id)).first()
    if asset is None or asset.current_version is None:
        raise NotFound(FILE_NOT_FOUND_MESSAGE)
    return asset


def asset_for_path(*, file_path: str) -> Asset | None:
    """The file at `file_path`, or None (a path that could not be stored matches nothing)."""
    if "\x00" in file_path or len(file_path) > Asset._meta.get_field("file_path").max_length:
        return None
    return Asset.objects.select_related("current_version").filter(file_path=file_path).first()


def tag_name_variants(text: str) -> list[str]:
    """The spellings a tag or AI tag name is looked up in: as typed, lower, Capitalised,
    Title and UPPER case.

    Tags are written as people and providers write them ("red", "Red", "Ping-Pong
    Ball"); looking these spellings up uses the B-tree indexes on the names, where a
    case-insensitive comparison would scan every tag.
    """
    return list(dict.fromkeys([text, text.lower(), text.capitalize(), text.title(), text.upper()]))


def api_key_with_creator(*, prefix: str) -> ApiKey | None:
    """The API key with this prefix, its `created_by` loaded, or None.

    Every API request looks its key up. The statement is built once per process:
    the ORM would build the join anew each time, about four times the CPU of
    running it (1.5 ms against 0.4 ms in a loaded worker, figure 1).
    """
    key_fields, user_fields = _api_key_columns()
    with connection.cursor() as cursor:
        cursor.execute(_api_key_sql(connection.vendor), [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    api_key = model_from_row(ApiKey, key_fields, row[: len(key_fields)])
    user_row = row[len(key_fields) :]
    user_model = ApiKey._meta.get_field("created_by").related_model
    pk_index = user_fields.index(user_model._meta.pk)
    # Assigned even when None, so that reading it later makes no query.
    api_key.created_by = (
        model_from_row(user_model, user_fields, user_row)
        if user_row[pk_index] is not None
        else None
    )
    return api_key


def _api_key_columns() -> tuple[list[Field], list[Field]]:
    user_model = ApiKey._meta.get_field("created_by").related_model
    return list(ApiKey._meta.concrete_fields), list(user_model._meta.concrete_fields)


@functools.cache
def _api_key_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    key_fields, user_fields = _api_key_columns()
    created_by = ApiKey._meta.get_field("created_by")
    user_meta = created_by.related_model._meta
    columns = [f"k.{quote(f.column)}" for f in key_fields]
    columns += [f"u.{quote(f.column)}" for f in user_fields]
    # Only the models' own table and column names, quoted; the prefix is a parameter.
    return (
        f"SELECT {', '.join(columns)} FROM {quote(ApiKey._meta.db_table)} k "  # noqa: S608
        f"LEFT JOIN {quote(user_meta.db_table)} u "
        f"ON u.{quote(user_meta.pk.column)} = k.{quote(created_by.column)} "
        f"WHERE k.{column_sql(ApiKey, 'prefix')} = %s"
    )


# Above this many tags and AI tags of the name, a search walks the assets newest first.
FREQUENT_TAG_MATCHES = 1_000


def asset_term_q(term: str) -> Q:
    """Assets whose name holds `term`, whose fileId is `term`, or with a tag or AI tag of
    that whole name (any of its spellings); for the admin's search.

    A name that few assets have is one uncorrelated IN over a union: each branch uses
    its own index (the trigram index on UPPER(name) of migration 0005 on PostgreSQL,
    the unique fileId, the tag and AI tag names), where the conditions OR-ed together
    made PostgreSQL walk every asset and test each (330 ms on 100,000). A frequent one
    ("cat": 37,500 AI tags) made the union build and hash every id, for the count and
    again for the page; OR-ed, the page walks the assets newest first and stops after
    its rows, the bounded count after its bound.
    """
    names = tag_name_variants(term)
    # Unordered: a slice of the models' default ordering (AI tags by confidence) sorted
    # all 37,500 "cat" tags before counting the first 1,001 (27 ms of 30).
    tags = AssetTag.objects.filter(tag__name__in=names).order_by()
    ai_tags = AITag.objects.filter(name__in=names).order_by()
    # Two index scans that stop at the bound. A lookup they find empty is left out:
    # PostgreSQL guesses 400 assets for each tag of the name it cannot rule out, so a
    # union holding one hashed a scan of every asset for a page of 11 (`?q=image4242`,
    # EXPLAIN ANALYZE 18 -> 1.4 ms), and an EXISTS holding one is probed for each asset
    # walked (`?q=cat`: 8,000 of the bounded count's 18,700 buffers).
    counted = [(lookup, lookup[: FREQUENT_TAG_MATCHES + 1].count()) for lookup in (tags, ai_tags)]
    found = [lookup for lookup, count in counted if count]
    if sum(count for _lookup, count in counted) > FREQUENT_TAG_MATCHES:
        # A range, not an equality: PostgreSQL turns an EXISTS correlated by equality
        # into a hash of every matching id (37,500, 26-43 ms for the count and again for
        # the page); a range is probed through the index for each asset walked
        # (EXPLAIN ANALYZE: page 105 -> 1 ms, bounded count 51 -> 18 ms).
        this_asset = {"asset_id__gte": OuterRef("pk"), "asset_id__lte": OuterRef("pk")}
        if connection.vendor != "postgresql":
            # SQLite probes an equality through the index; the range made the bounded
            # count scan (1.9 s on 5,000 assets).
            this_asset = {"asset_id": OuterRef("pk")}
        condition = Q(name__icontains=term) | Q(file_id=term.lower())
        for lookup in found:
            condition |= Exists(lookup.filter(**this_asset))
        return condition
    matching = (
        Asset.objects.filter(name__icontains=term)
        .order_by()
        .values("pk")
        .union(
            Asset.objects.filter(file_id=term.lower()).order_by().values("pk"),
            *(lookup.values("asset_id") for lookup in found),
        )
    )
    return Q(pk__in=matching)
