"""Building blocks shared by the admins of the apps: counting, read-only views, capped inlines.

The admin must stay fast on 100,000 assets and millions of runs and ledger rows:
no full COUNT(*) of a large unfiltered table, no inline that loads every row.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

# Below this many rows an exact count is cheap enough, and exact.
ESTIMATE_COUNT_ABOVE = 50_000
# Ten pages of 100: past them the admin says "more than 1000" and pages on by URL.
COUNT_FILTERED_UP_TO = 1_000


def estimated_row_count(queryset: QuerySet) -> int | None:
    """The planner's row estimate of the queryset's table on PostgreSQL, None elsewhere.

    `pg_class.reltuples` is kept up to date by autovacuum/ANALYZE; it is -1 for a
    table never analysed, which returns None too.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts every row of a large table.

    An unfiltered list of a big PostgreSQL table uses the planner's estimate.
    A filtered or searched list (a WHERE clause) is counted up to `count_up_to`
    rows: a filter matching a third of 100,000 assets took 300 ms to count in full,
    where counting its first thousand stops early. In both cases the count is shown
    as approximate ("about", "more than"), and pages past it come out empty instead
    of an error.
    """

    estimate_above = ESTIMATE_COUNT_ABOVE
    count_up_to = COUNT_FILTERED_UP_TO

    @cached_property
    def _estimate(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.has_filters():
            return None
        estimate = estimated_row_count(queryset)
        return estimate if estimate is not None and estimate > self.estimate_above else None

    @cached_property
    def _bounded_count(self) -> int | None:
        """The count of a filtered queryset, or None when it has more than `count_up_to`."""
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or self._estimate is not None:
            return None
        # Unordered, so the database stops at the limit instead of sorting every match.
        counted = queryset.order_by()[: self.count_up_to + 1].count()
        return counted if counted <= self.count_up_to else None

    @property
    def is_estimate(self) -> bool:
        return self._estimate is not None

    @property
    def is_lower_bound(self) -> bool:
        """True when the filtered list has more rows than were counted."""
        return self._estimate is None and self._bounded_count is None

    @cached_property
    def count(self) -> int:
        if self._estimate is not None:
            return self._estimate
        return self.count_up_to if self._bounded_count is None else self._bounded_count

    def page(self, number: object) -> Page:
        if not self.is_lower_bound:
            return super().page(number)
        # Past the rows counted there may be more: a page is whatever the slice holds.
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)

    def validate_number(self, number: object) -> int:
        if not (self.is_estimate or self.is_lower_bound):
            return super().validate_number(number)
        # Pages past an estimate that was too high are just empty.
        try:
            value = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if value < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return value


class ReadOnlyAdminMixin:
    """A model admin or inline that shows rows written by services and never edits them."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class LargeLogAdminMixin:
    """A read-only list over a table that grows without bound (runs, tags, ledger, deliveries).

    Newest first on the primary key; never a full COUNT(*) nor a facet count per
    filter choice, which cost a scan each on millions of rows.
    """

    ordering = ("-id",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator


class TermSearchMixin:
    """Admin search as one query the indexes serve, instead of Django's OR of icontains.

    Subclasses define `search(queryset, term)`; a blank search shows everything.
    """

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return self.search(queryset, term), False

    def search(self, queryset: QuerySet, term: str) -> QuerySet:
        """The rows matching `term` (never duplicated)."""
        raise NotImplementedError


class NewestRowsFormSet(BaseInlineFormSet):
    """An inline formset showing only the newest `max_rows` rows of the relation.

    For read-only inlines of relations that grow without bound (runs, ledger
    entries): the formset is never saved, so a sliced queryset is safe.
    """

    max_rows = 50

    def get_queryset(self) -> QuerySet:
        if not hasattr(self, "_newest_rows"):
            self._newest_rows = super().get_queryset()[: self.max_rows]
        return self._newest_rows


def newest_rows_formset(max_rows: int) -> type[NewestRowsFormSet]:
    return type("NewestRowsFormSet", (NewestRowsFormSet,), {"max_rows": max_rows})


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A read-only tabular inline of the `fields` it lists.

    `list_select_related` names the foreign keys shown, loaded with the rows.
    """

    extra = 0
    can_delete = False
    show_change_link = False
    list_select_related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return list(self.fields or ()) + list(self.readonly_fields)
