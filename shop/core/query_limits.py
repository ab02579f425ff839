"""Static limits on a GraphQL operation, checked before it executes.

The view runs graphql-core's standard validation first (cached per document) and calls
:func:`analyze` only on documents that passed it. The analysis is our own code, not graphene's
``depth_limit_validator`` (which crashes on undefined fragments and fragment cycles): every fragment
is summarised once (memoised, so a document that spreads fragments exponentially is still analysed
in linear time) and a cycle or an unknown fragment is reported as an error instead of recursing.

What one operation may ask for (settings, overridable by environment variables):

- depth ``GRAPHQL_MAX_DEPTH`` (10): the deepest chain of nested fields; ``{ me { email } }`` is 2.
  Introspection subtrees (``__schema``/``__type``) do not count towards the depth (GraphiQL's own
  introspection query nests ``ofType`` deeper than any real query); they count for everything else.
- aliases ``GRAPHQL_MAX_ALIASES`` (15): fields written with an alias, counted every time a fragment
  holding them is spread.
- mutations ``GRAPHQL_MAX_MUTATIONS`` (4): top-level fields of a mutation operation.
- cost ``GRAPHQL_MAX_COST`` (1,000): each object — a field returning an entity, i.e. a type that
  implements ``Node`` — costs 1 plus its children; leaves and value objects (``Money``, attribute
  pairs, ``pageInfo``, a connection's ``edges`` wrappers) cost nothing but their children; a
  mutation field costs 10 plus its payload; a connection 2 + n × (the cost of one item: its
  ``edges`` / ``nodes`` selections and any fragment spread on it) + its other children once
  (``pageInfo``, ``totalCount``), where n is its ``first`` or ``last`` argument, read from the
  document or from the variables (a variable's default included); without either it counts as the
  maximum page size. So the storefront's 100 products, each with its designer, category and three
  variants, cost 2 + 100 × (1 + 1 + 1 + (2 + 3 × 1)) = 802.
- page sizes: a ``first``/``last`` that is known before execution must be within 1..100, and not
  both at once (``paginate`` checks the same at run time for values that are not).
- introspection (``GRAPHQL_INTROSPECTION``, on only with ``DEBUG``): ``__schema`` and ``__type``
  are refused when it is off; ``__typename`` is always allowed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from graphql.language import FragmentDefinitionNode, NullValueNode, VariableNode

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_interface_type,
    is_object_type,
)
from shop.core.pagination import MAX_PAGE_SIZE

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
ITEM_FIELDS = frozenset({"edges", "nodes"})
MUTATION_COST = 10
OBJECT_COST = 1
CONNECTION_COST = 2


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_cost: int
    max_mutations: int
    introspection: bool

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(
            max_depth=settings.GRAPHQL_MAX_DEPTH,
            max_aliases=settings.GRAPHQL_MAX_ALIASES,
            max_cost=settings.GRAPHQL_MAX_COST,
            max_mutations=settings.GRAPHQL_MAX_MUTATIONS,
            introspection=settings.GRAPHQL_INTROSPECTION,
        )


@dataclass
class Summary:
    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def add(self, other: Summary) -> None:
        self.depth = max(self.depth, other.depth)
        self.aliases += other.aliases
        self.cost += other.cost


@dataclass
class Analysis:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    mutations: int = 0
    # Top-level field name -> how many times the operation calls it (aliases and fragments
    # expanded): the rate limiter charges each call, so 50 aliased logins are 50 attempts.
    root_fields: Counter = field(default_factory=Counter)
    errors: list[GraphQLError] = field(default_factory=list)


def limit_error(message: str, code: str, **extensions) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


class _Analyzer:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict,
        operation: OperationDefinitionNode,
        variables: dict | None,
        introspection: bool,
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}
        self.introspection = introspection
        self.defaults = {}
        for definition in operation.variable_definitions or ():
            self.defaults[definition.variable.name.value] = definition
        self.memo: dict[str, Summary] = {}
        self.in_progress: set[str] = set()
        self.root_memo: dict[str, tuple[Summary, Counter]] = {}
        self.root_in_progress: set[str] = set()
        self.errors: list[GraphQLError] = []
        self._reported: set[tuple] = set()

    def error(self, key: tuple, message: str, code: str, **extensions) -> None:
        if key not in self._reported:
            self._reported.add(key)
            self.errors.append(limit_error(message, code, **extensions))

    # --- fragments ----------------------------------------------------------------------------

    def fragment(self, name: str) -> Summary:
        return self._once_per_fragment(
            name,
            self.memo,
            self.in_progress,
            Summary,
            lambda definition: self.selection_set(
                definition.selection_set, self.schema.get_type(definition.type_condition.name.value)
            ),
        )

    def _once_per_fragment(self, name: str, memo: dict, in_progress: set, empty, summarise):
        """``summarise(definition)`` of the fragment ``name``, computed once (``memo``); an unknown
        fragment, or one that spreads itself (it is ``in_progress``), is an error and ``empty()``."""
        if name in memo:
            return memo[name]
        definition = self.fragments.get(name)
        if definition is None:
            self.error(
                ("unknown", name), _("Unknown fragment “%(name)s”.") % {"name": name}, "GRAPHQL_VALIDATION_FAILED"
            )
            return empty()
        if name in in_progress:
            self.error(
                ("cycle", name), _("Fragment “%(name)s” spreads itself.") % {"name": name}, "GRAPHQL_VALIDATION_FAILED"
            )
            return empty()
        in_progress.add(name)
        summary = summarise(definition)
        in_progress.discard(name)
        memo[name] = summary
        return summary

    # --- selections ---------------------------------------------------------------------------

    def selection(self, node, parent_type) -> Summary:
        if isinstance(node, FieldNode):
            return self.field(node, parent_type)
        if isinstance(node, FragmentSpreadNode):
            return self.fragment(node.name.value)
        if isinstance(node, InlineFragmentNode):
            type_ = self.schema.get_type(node.type_condition.name.value) if node.type_condition else parent_type
            return self.selection_set(node.selection_set, type_)
        return Summary()

    def selection_set(self, selection_set, parent_type) -> Summary:
        total = Summary()
        if selection_set is None:
            return total
        for node in selection_set.selections:
            total.add(self.selection(node, parent_type))
        return total

    def field(self, node: FieldNode, parent_type, *, root_mutation: bool = False) -> Summary:
        name = node.name.value
        aliases = 1 if node.alias is not None else 0
        if name == "__typename":
            return Summary(depth=1, aliases=aliases)
        introspection = name in INTROSPECTION_FIELDS
        if introspection:
            if not self.introspection:
                self.error(("introspection",), _("Introspection is disabled."), "INTROSPECTION_DISABLED")
                return Summary(aliases=aliases)
            field_def = None
            return_type = self.schema.get_type("__Schema" if name == "__schema" else "__Type")
        else:
            fields = (
                getattr(parent_type, "fields", None)
                if (is_object_type(parent_type) or is_interface_type(parent_type))
                else None
            )
            field_def = fields.get(name) if fields else None
            if field_def is None:  # cannot happen after validation; count it as an object
                return Summary(depth=1, aliases=aliases, cost=OBJECT_COST)
            return_type = get_named_type(field_def.type)

        if node.selection_set is None:
            return Summary(depth=1, aliases=aliases, cost=MUTATION_COST if root_mutation else 0)

        if not introspection and self._is_connection(return_type, field_def):
            children = self._connection_children(node, return_type)
            size = self._page_size(node)
            cost = CONNECTION_COST + size * children[0].cost + children[1].cost
            summary = Summary(depth=1 + max(children[0].depth, children[1].depth), aliases=aliases, cost=cost)
            summary.aliases += children[0].aliases + children[1].aliases
        else:
            inner = self.selection_set(node.selection_set, return_type)
            own = OBJECT_COST if self._is_entity(return_type) else 0
            summary = Summary(depth=1 + inner.depth, aliases=aliases + inner.aliases, cost=own + inner.cost)
        if introspection:
            summary.depth = 0
        if root_mutation:
            own = OBJECT_COST if self._is_entity(return_type) else 0
            summary.cost += MUTATION_COST - own
        return summary

    @staticmethod
    def _is_entity(named_type) -> bool:
        """Objects with an identity (Relay nodes) are what a query pays for."""
        if is_interface_type(named_type):
            return named_type.name == "Node"
        return is_object_type(named_type) and any(i.name == "Node" for i in named_type.interfaces)

    # --- connections --------------------------------------------------------------------------

    @staticmethod
    def _is_connection(return_type, field_def) -> bool:
        if not is_object_type(return_type):
            return False
        return (
            "edges" in return_type.fields
            and "pageInfo" in return_type.fields
            and ("first" in field_def.args or "last" in field_def.args)
        )

    def _connection_children(self, node: FieldNode, connection_type) -> tuple[Summary, Summary]:
        """(per item, once per page): ``edges``/``nodes`` and fragments are paid per item."""
        per_item, once = Summary(), Summary()
        for child in node.selection_set.selections:
            summary = self.selection(child, connection_type)
            if isinstance(child, FieldNode) and child.name.value not in ITEM_FIELDS:
                once.add(summary)
            else:
                per_item.add(summary)
        return per_item, once

    def _argument(self, node: FieldNode, name: str):
        """The value of an Int argument known before execution, or None."""
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                var = value.name.value
                if var in self.variables:
                    return self.variables[var]
                definition = self.defaults.get(var)
                if (
                    definition is not None
                    and definition.default_value is not None
                    and not isinstance(definition.default_value, NullValueNode)
                ):
                    return _literal(definition.default_value)
                return None
            return _literal(value)
        return None

    def _page_size(self, node: FieldNode) -> int:
        first, last = self._argument(node, "first"), self._argument(node, "last")
        where = node.alias.value if node.alias else node.name.value
        known = {}
        for arg, value in (("first", first), ("last", last)):
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                continue  # not an Int: coercion refuses it when the operation runs
            if not 1 <= value <= MAX_PAGE_SIZE:
                self.error(
                    ("page", where, arg),
                    _("`%(arg)s` on `%(where)s` must be between 1 and %(max)d.")
                    % {"arg": arg, "where": where, "max": MAX_PAGE_SIZE},
                    "INVALID_PAGINATION",
                )
            known[arg] = value
        if len(known) == 2:
            self.error(
                ("page", where, "both"),
                _("Provide only one of `first` or `last` on `%(where)s`.") % {"where": where},
                "INVALID_PAGINATION",
            )
        sizes = [min(max(v, 0), MAX_PAGE_SIZE) for v in known.values()]
        return max(sizes) if sizes else MAX_PAGE_SIZE

    # --- the operation ------------------------------------------------------------------------

    def root(self, selection_set, root_type, is_mutation: bool) -> tuple[Summary, Counter]:
        """Top-level selections: their summary and how often each root field is called. A mutation
        field costs 10 wherever it sits (directly or inside fragments on the root type)."""
        total, counts = Summary(), Counter()
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                name = node.name.value
                total.add(self.field(node, root_type, root_mutation=is_mutation and not name.startswith("__")))
                if not name.startswith("__"):
                    counts[name] += 1
            elif isinstance(node, InlineFragmentNode):
                summary, inner = self.root(node.selection_set, root_type, is_mutation)
                total.add(summary)
                counts.update(inner)
            elif isinstance(node, FragmentSpreadNode):
                summary, inner = self.root_fragment(node.name.value, root_type, is_mutation)
                total.add(summary)
                counts.update(inner)
        return total, counts

    def root_fragment(self, name: str, root_type, is_mutation: bool) -> tuple[Summary, Counter]:
        return self._once_per_fragment(
            name,
            self.root_memo,
            self.root_in_progress,
            lambda: (Summary(), Counter()),
            lambda definition: self.root(definition.selection_set, root_type, is_mutation),
        )


def _literal(value_node):
    from graphql.language import IntValueNode

    if isinstance(value_node, IntValueNode):
        return int(value_node.value)
    if isinstance(value_node, NullValueNode):
        return None
    return object()  # not an Int literal: validation has already refused it


# What an operation is refused for: the measure (a field of Analysis, its limit the field max_<name>
# of Limits; the error's extensions carry both, as ``<name>`` and ``max<Name>``), the code, the message.
_LIMITED = (
    (
        "depth",
        "QUERY_TOO_DEEP",
        gettext_noop("The query is nested %(depth)d levels deep; at most %(max)d are allowed."),
    ),
    ("aliases", "TOO_MANY_ALIASES", gettext_noop("The query uses %(aliases)d aliases; at most %(max)d are allowed.")),
    (
        "mutations",
        "TOO_MANY_MUTATIONS",
        gettext_noop("The document runs %(mutations)d mutations; at most %(max)d are allowed per request."),
    ),
    (
        "cost",
        "QUERY_TOO_COMPLEX",
        gettext_noop("The query costs %(cost)d; at most %(max)d is allowed. Ask for smaller pages or fewer fields."),
    ),
)


def analyze(
    schema: GraphQLSchema, document, operation: OperationDefinitionNode, variables: dict | None, limits: Limits
) -> Analysis:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    analyzer = _Analyzer(schema, fragments, operation, variables, limits.introspection)
    root_type = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    is_mutation = operation.operation == OperationType.MUTATION

    total, counts = analyzer.root(operation.selection_set, root_type, is_mutation)
    result = Analysis(depth=total.depth, aliases=total.aliases, cost=total.cost, root_fields=counts)
    result.mutations = sum(counts.values()) if is_mutation else 0
    result.errors = list(analyzer.errors)
    for name, code, message in _LIMITED:
        value, limit = getattr(result, name), getattr(limits, f"max_{name}")
        if value > limit:
            extensions = {name: value, f"max{name.capitalize()}": limit}
            result.errors.append(limit_error(_(message) % {name: value, "max": limit}, code, **extensions))
    return result
