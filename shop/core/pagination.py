"""Relay connections: ``paginate`` slices a queryset (or a list) into a page with offset or keyset
cursors, ``CountableConnection`` is the connection type with ``totalCount``, ``connection_args``
the ``first``/``after``/``last``/``before`` arguments."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import graphene
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _
from graphene import relay

from graphql import GraphQLError

MAX_PAGE_SIZE = 100


class CountableConnection(relay.Connection):
    class Meta:
        abstract = True

    total_count = graphene.Int(required=True)

    def resolve_total_count(root, info):
        total = getattr(root, "total", None)
        return total if total is not None else _count(root.iterable)


# Cursors. Querysets ordered by model fields (or annotations) ending in the primary key are paged
# by *keyset*: the cursor holds the sort values of its row, and the next page is the rows after
# them (``WHERE (created_at, id) < (…)``), found through the ordering's index however deep the
# page: no ``OFFSET``, no ``COUNT(*)`` (``totalCount`` counts only when it is asked for). Lists
# and other querysets use offset cursors (``o:<n>``), which keyset-paged fields still accept, so
# cursors handed out before keyset paging keep working.


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _cursor_error(arg: str) -> GraphQLError:
    return GraphQLError(_("Invalid cursor in `%(arg)s`.") % {"arg": arg}, extensions={"code": "INVALID_CURSOR"})


def _decode_raw(cursor: str, arg: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
    except (ValueError, UnicodeError, TypeError):
        raise _cursor_error(arg)
    kind, _sep, value = raw.partition(":")
    if kind not in ("o", "k"):
        raise _cursor_error(arg)
    return kind, value


def _decode_cursor(cursor: str | None, arg: str) -> int | None:
    if cursor is None:
        return None
    kind, value = _decode_raw(cursor, arg)
    try:
        offset = int(value)
        if kind != "o" or offset < 0:
            raise ValueError
        return offset
    except (ValueError, TypeError):
        raise _cursor_error(arg)


@dataclass(frozen=True)
class _Key:
    name: str  # a field or annotation of the queryset's rows
    desc: bool
    nulls_last: bool  # PostgreSQL's placement of NULLs for this key
    nullable: bool
    field: object | None

    def reversed(self) -> _Key:
        return _Key(self.name, not self.desc, not self.nulls_last, self.nullable, self.field)


def _keyset_keys(queryset) -> list[_Key] | None:
    """The keys of a queryset's ordering when it can be keyset-paged: plain fields of the model
    (or annotations), the last one the primary key. None otherwise.

    A float annotation must be ``double precision`` (cast it): a ``real`` comes back rounded to its
    shortest decimal form, and the cursor would then no longer equal its own row."""
    if not isinstance(queryset, QuerySet) or queryset.query.distinct or not queryset.query.order_by:
        return None
    meta = queryset.model._meta
    keys: list[_Key] = []
    for item in queryset.query.order_by:
        if isinstance(item, str):
            desc = item.startswith("-")
            name, nulls_last = item.lstrip("-+"), None
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            desc, name = item.descending, item.expression.name
            nulls_last = True if item.nulls_last else False if item.nulls_first else None
        else:
            return None
        if name == "pk":
            name = meta.pk.name
        if "__" in name or name == "?":
            return None
        if name in queryset.query.annotations:
            field, nullable = None, True
        else:
            try:
                field = meta.get_field(name)
            except Exception:
                return None
            if not getattr(field, "concrete", False) or field.is_relation:
                return None
            nullable = field.null
        if nulls_last is None:
            nulls_last = not desc  # PostgreSQL: NULLs sort as the largest value
        keys.append(_Key(name, desc, nulls_last, nullable, field))
    if keys[-1].name != meta.pk.name:
        return None
    return keys


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)


def _keyset_signature(keys: list[_Key]) -> str:
    return ",".join(("-" if k.desc else "") + k.name for k in keys)


def _encode_keyset_cursor(keys: list[_Key], row) -> str:
    values = [_json_value(getattr(row, k.name)) for k in keys]
    raw = json.dumps([_keyset_signature(keys), values], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(b"k:" + raw.encode()).decode()


def _decode_keyset_cursor(keys: list[_Key], value: str, arg: str) -> list:
    try:
        signature, values = json.loads(value)
        if signature != _keyset_signature(keys) or not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        out = []
        for key, v in zip(keys, values):
            if v is None:
                if not key.nullable:
                    raise ValueError
                out.append(None)
            elif key.field is not None:
                value = key.field.to_python(v)
                key.field.run_validators(value)  # e.g. integers beyond the column's range
                out.append(value)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(v)
            else:
                raise ValueError
        return out
    except (ValueError, TypeError, ValidationError, ArithmeticError):
        raise _cursor_error(arg)


def _beyond(keys: list[_Key], values: list) -> Q:
    """Rows strictly after the row with ``values`` in the order ``keys`` describe. The first key
    also gets a plain range bound when it cannot be NULL, so the index scan starts at the cursor."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values):
        if value is None:
            after = Q(pk__in=[]) if key.nulls_last else Q(**{f"{key.name}__isnull": False})
            same = Q(**{f"{key.name}__isnull": True})
        else:
            after = Q(**{f"{key.name}__{'lt' if key.desc else 'gt'}": value})
            if key.nulls_last and key.nullable:
                after |= Q(**{f"{key.name}__isnull": True})
            same = Q(**{key.name: value})
        condition |= equal & after
        equal &= same
    first, value = keys[0], values[0]
    if value is not None and not first.nullable:
        condition &= Q(**{f"{first.name}__{'lte' if first.desc else 'gte'}": value})
    return condition


class _Edge:
    """An edge whose cursor is made only if a client asks for it."""

    __slots__ = ("node", "_keys", "_offset")

    def __init__(self, node, keys=None, offset=None):
        self.node = node
        self._keys = keys
        self._offset = offset

    @property
    def cursor(self) -> str:
        if self._keys is not None:
            return _encode_keyset_cursor(self._keys, self.node)
        return _encode_cursor(self._offset)


class _PageInfo:
    __slots__ = ("_edges", "has_previous_page", "has_next_page")

    def __init__(self, edges, has_previous_page: bool, has_next_page: bool):
        self._edges = edges
        self.has_previous_page = has_previous_page
        self.has_next_page = has_next_page

    @property
    def start_cursor(self):
        return self._edges[0].cursor if self._edges else None

    @property
    def end_cursor(self):
        return self._edges[-1].cursor if self._edges else None


class _Connection:
    """What a connection field resolves to: ``edges``, ``page_info`` and the ``iterable`` that
    ``totalCount`` counts (only when asked)."""

    __slots__ = ("edges", "page_info", "iterable", "total")

    def __init__(self, edges, page_info, iterable, total=None):
        self.edges = edges
        self.page_info = page_info
        self.iterable = iterable
        self.total = total


def _order_expression(key: _Key) -> OrderBy:
    flags = {"nulls_last": True} if key.nulls_last else {"nulls_first": True}
    return F(key.name).desc(**flags) if key.desc else F(key.name).asc(**flags)


def _rows(qs, n: int, rows_from=None) -> list:
    """The first ``n`` rows of ``qs``; with ``rows_from``, ``qs`` (a narrower table) gives their
    ids and ``rows_from`` the rows, in the same order (an id ``rows_from`` does not show is left out)."""
    if rows_from is None:
        return list(qs[:n])
    return _in_order(rows_from, list(qs.values_list("pk", flat=True)[:n]))


def _in_order(queryset, ids: list) -> list:
    """The rows of ``queryset`` with these primary keys, in the order of ``ids`` (one query; an id
    ``queryset`` does not show, or a row gone meanwhile, is left out)."""
    by_pk = {row.pk: row for row in queryset.filter(pk__in=ids)} if ids else {}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _keyset_page(queryset, keys, connection_type, *, first, after, last, before, ranked=None):
    after_values = None
    if after is not None:
        kind, value = _decode_raw(after, "after")
        after_values = _decode_keyset_cursor(keys, value, "after")
    before_values = None
    if before is not None:
        kind, value = _decode_raw(before, "before")
        before_values = _decode_keyset_cursor(keys, value, "before")
    qs = queryset if ranked is None else ranked
    rows_from = None if ranked is None else queryset
    if after_values is not None:
        qs = qs.filter(_beyond(keys, after_values))
    if first is not None:
        if before_values is not None:
            qs = qs.filter(_beyond([k.reversed() for k in keys], before_values))
        rows = _rows(qs, first + 1, rows_from)
        has_next = len(rows) > first or before is not None
        rows = rows[:first]
        has_previous = after is not None
    else:
        backward = [k.reversed() for k in keys]
        if before_values is not None:
            qs = qs.filter(_beyond(backward, before_values))
        qs = qs.order_by(*[_order_expression(k) for k in backward])
        rows = _rows(qs, last + 1, rows_from)
        has_previous = len(rows) > last
        rows = rows[:last][::-1]
        has_next = before is not None
    return [_Edge(row, keys=keys) for row in rows], has_previous, has_next


def _is_offset_cursor(cursor: str | None) -> bool:
    if cursor is None:
        return False
    try:
        return base64.urlsafe_b64decode(cursor.encode() + b"==").startswith(b"o:")
    except (ValueError, TypeError):
        return False


def check_page_args(first, last):
    if (first is None) == (last is None):
        raise GraphQLError(
            _("Provide exactly one of `first` or `last` (1 to 100)."), extensions={"code": "INVALID_PAGINATION"}
        )
    for name, value in (("first", first), ("last", last)):
        if value is not None and not (1 <= value <= MAX_PAGE_SIZE):
            raise GraphQLError(
                _("`%(arg)s` must be between 1 and %(max)d.") % {"arg": name, "max": MAX_PAGE_SIZE},
                extensions={"code": "INVALID_PAGINATION"},
            )


def _count(items) -> int:
    return len(items) if isinstance(items, list) else items.count()


TOTAL = "_connection_total"


def paginate(
    queryset,
    connection_type,
    *,
    first=None,
    after=None,
    last=None,
    before=None,
    count_with_page: bool = False,
    ranked=None,
):
    """Slice an ordered queryset (or list) into a Relay connection. Querysets ordered by fields
    ending in the primary key are keyset-paged (see above); others use offset cursors. Neither
    counts rows unless ``totalCount`` is asked for.

    ``count_with_page``: the caller knows that the page's query reads every matching row anyway
    (a search sorted by relevance) and that ``totalCount`` is asked for: the first page then carries
    the count as a window aggregate (``COUNT(*) OVER ()``) instead of a second scan of the matches.

    ``ranked``: the same rows in the same order from a narrower table (e.g. the search rows of
    products), as a queryset with the same sort keys by name and the rows' primary keys as its own:
    keyset pages read their ids there (a counted first page: and the count), then their rows by id
    from ``queryset``, which keeps its full filter: a row that ``ranked`` lists and ``queryset``
    does not show is left out."""
    check_page_args(first, last)
    page_qs = queryset
    windowed = (
        count_with_page and isinstance(queryset, QuerySet) and after is None and before is None and first is not None
    )
    if windowed:
        keys = _keyset_keys(queryset)
        if keys is not None:
            return _counted_first_page(queryset, keys, first, ranked=ranked)
        page_qs = queryset.annotate(**{TOTAL: Window(Count("pk"))})
    keys = _keyset_keys(page_qs)
    if keys is not None and not (_is_offset_cursor(after) or _is_offset_cursor(before)):
        edges, has_previous, has_next = _keyset_page(
            page_qs, keys, connection_type, first=first, after=after, last=last, before=before, ranked=ranked
        )
    else:
        edges, has_previous, has_next = _offset_page(
            page_qs, connection_type, first=first, after=after, last=last, before=before
        )
    total = (getattr(edges[0].node, TOTAL) if edges else 0) if windowed else None
    return _Connection(edges, _PageInfo(edges, has_previous, has_next), queryset, total)


def _counted_first_page(queryset, keys, first: int, *, ranked=None) -> _Connection:
    """The first page and the number of matches in one pass over them: the ids of the page,
    ranked, with ``COUNT(*) OVER ()`` (narrow rows: the window never spills), from ``ranked`` if
    given, then the page's rows by id."""
    source = queryset if ranked is None else ranked
    found = list(source.annotate(**{TOTAL: Window(Count("pk"))}).values_list("pk", TOTAL)[: first + 1])
    total = found[0][1] if found else 0
    ids = [pk for pk, _total in found]
    rows = _in_order(queryset, ids)
    edges = [_Edge(row, keys=keys) for row in rows[:first]]
    return _Connection(edges, _PageInfo(edges, False, len(rows) > first), queryset, total)


def _offset_page(queryset, connection_type, *, first, after, last, before):
    after_pos = _decode_cursor(after, "after")
    start = after_pos + 1 if after_pos is not None else 0
    end = _decode_cursor(before, "before")
    if first is not None:
        stop = start + first + 1 if end is None else min(start + first + 1, end)
        rows = list(queryset[start:stop])
        has_next = len(rows) > first or (end is not None and start + len(rows) < end and len(rows) == first)
        rows = rows[:first]
        has_previous = start > 0
        offset = start
    else:
        if end is None:
            end = _count(queryset)
        offset = max(start, end - last)
        rows = list(queryset[offset:end]) if end > offset else []
        has_previous = offset > start
        has_next = before is not None
    return [_Edge(row, offset=offset + i) for i, row in enumerate(rows)], has_previous, has_next


class SortDirection(graphene.Enum):
    ASC = "ASC"
    DESC = "DESC"


def connection_args() -> dict:
    return {
        "first": graphene.Int(description="1 to 100; `first` or `last` is required."),
        "after": graphene.String(),
        "last": graphene.Int(description="1 to 100; `first` or `last` is required."),
        "before": graphene.String(),
    }
