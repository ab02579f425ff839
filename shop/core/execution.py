"""A faster graphql-core execution for a synchronous server.

graphql-core executes every field the same general way: it builds a ``GraphQLResolveInfo``, reads
the arguments, calls the resolver (for graphene's default resolvers through two ``partial`` layers),
asks whether the result is awaitable, then completes the value through a chain of type checks.
A storefront page of 100 products has some 5,600 fields, most of them plain attributes (``name``,
``slug``, ``amount``...), so that generality was most of the request's time.

:class:`FastExecutionContext` keeps graphql-core's semantics (the same results, the same errors at
the same paths, nulls propagated the same way) and takes a shorter road where it can:

- nothing is awaitable here (the view is synchronous; no resolver returns a coroutine), so the
  awaitable checks are skipped;
- for each field of a document (a *plan*, computed once per document and field and kept with the
  cached document), it decides what the field needs: a field served by graphene's default resolver
  reads the attribute (or dict key) directly; a leaf is serialised directly, without the
  ``complete_value`` chain; arguments written as literals are read once;
- ``id`` fields of Relay nodes are encoded directly (graphene's ``GlobalID`` resolver otherwise).

Anything else (custom resolvers, objects, lists, abstract types, introspection, middleware) goes
through graphql-core's own code.

It leans on graphql-core 3.2's ``ExecutionContext`` (``execute_fields``, ``execute_field``,
``complete_*``, ``build_resolve_info``) and on graphene's default and ``GlobalID`` resolvers being
``functools.partial`` objects; an upgrade of either must keep
``tests/core/test_execution_operations.py`` green: every operation in ``graphql/operations/`` run
with graphql-core's stock executor and with this one on a seeded marketplace, the JSON compared byte
for byte (``tests/core/test_execution.py`` covers errors and nulls on a small schema).

What it saves (``python -m bench.ab_execution``: in-process, thread CPU time per request, medians of
21, on ``seed_bench --quick``: 3,000 products, 9,000 variants, 7,160 media, 4,000 orders; 2 cores
shared with other work, 2026-12-06): with graphql-core's own executor the representative set of ten
storefront and designer reads costs 1.39x (sum of medians 156.5 -> 217.7 ms): products, first 100:
42.9 -> 73.7 ms (1.72x); first 32: 17.4 -> 27.4 ms; a designer page: 19.0 -> 22.8 ms; a designer's
20 orders: 24.0 -> 33.9 ms; a product page and a search: 1.04-1.11x. It saves 28 % of the set's CPU
time, so it stays. (A checkout completion, a small answer, gains nothing from it: 0.94x.)
"""

from __future__ import annotations

from functools import partial
from typing import Any

from graphene.relay.node import GlobalID
from graphene.types.resolver import attr_resolver, dict_or_attr_resolver, dict_resolver
from graphql.execution.execute import ExecutionContext, get_field_def, invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.language import ListValueNode, ObjectValueNode, VariableNode
from graphql.pyutils import Path, Undefined
from graphql.type import is_abstract_type, is_leaf_type, is_list_type, is_object_type

from graphql import GraphQLNonNull, located_error
from shop.core.identity_cache import IdentityCache

_DEFAULT_RESOLVERS = (dict_or_attr_resolver, attr_resolver, dict_resolver)
_ATTR, _GLOBAL_ID, _CUSTOM = 0, 1, 2


class _Plan:
    __slots__ = (
        "field_def",
        "return_type",
        "non_null",
        "serialize",
        "kind",
        "attname",
        "default",
        "args",
        "resolve",
        "type_name",
        "node",
        "label",
    )

    def __init__(self, field_def, parent_type, field_node, schema, field_resolver):
        self.field_def = field_def
        self.return_type = field_def.type
        self.non_null = isinstance(field_def.type, GraphQLNonNull)
        inner = field_def.type.of_type if self.non_null else field_def.type
        self.serialize = inner.serialize if is_leaf_type(inner) else None
        self.resolve = field_def.resolve or field_resolver
        self.label = f"{parent_type.name}.{field_node.name.value}"
        self.kind, self.attname, self.default = _CUSTOM, None, None
        self.type_name = self.node = None
        resolve = self.resolve
        if (
            isinstance(resolve, partial)
            and resolve.func in _DEFAULT_RESOLVERS
            and len(resolve.args) >= 1
            and not resolve.keywords
        ):
            self.kind = _ATTR
            self.attname = resolve.args[0]
            self.default = resolve.args[1] if len(resolve.args) > 1 else None
        elif (
            isinstance(resolve, partial)
            and resolve.func is GlobalID.id_resolver
            and len(resolve.args) == 2
            and isinstance(resolve.args[0], partial)
            and resolve.args[0].func in _DEFAULT_RESOLVERS
        ):
            parent_resolver, node = resolve.args
            self.kind = _GLOBAL_ID
            self.attname = parent_resolver.args[0]
            self.default = parent_resolver.args[1] if len(parent_resolver.args) > 1 else None
            self.node = node
            self.type_name = resolve.keywords.get("parent_type_name") or parent_type.name
        # Arguments known without the variables (none, or literals only) are read once.
        self.args = None
        if not field_def.args:
            self.args = {}
        elif not any(_has_variables(a.value) for a in field_node.arguments or ()):
            self.args = get_argument_values(field_def, field_node, None)


class FastExecutionContext(ExecutionContext):
    """See the module docstring. Plans live in a per-document dict (``plans_for``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_awaitable = _never_awaitable
        self._plans = plans_for(self.operation)
        # The anonymous-read cache's record of what the response shows (shop/core/readcache.py).
        self._dependencies = getattr(self.context_value, "_read_dependencies", None)
        # collect_subfields gives the same dict for the same selection within a request: its
        # fields' plans are looked up once per selection, not once per object.
        self._selection_plans: dict[int, tuple] = {}
        self._subfields: dict[tuple[int, int], dict] = {}

    def execute_fields(self, parent_type, source_value, path, fields):
        """graphql-core's loop, with plain leaf fields (an attribute or a dict key, serialised)
        computed in place: no Path, no call, no resolve info. Anything else, and any leaf that
        fails, goes through :meth:`execute_field`, which reports errors where graphql-core does."""
        if self.middleware_manager:
            return super().execute_fields(parent_type, source_value, path, fields)
        entry = self._selection_plans.get(id(fields))
        if entry is None or entry[0] is not fields or entry[1] is not parent_type:
            selection = []
            for response_name, field_nodes in fields.items():
                plan = self._plan(parent_type, field_nodes[0])
                simple = plan is not None and plan.serialize is not None and plan.kind != _CUSTOM
                selection.append((response_name, field_nodes, plan if simple else None))
            entry = self._selection_plans[id(fields)] = (fields, parent_type, selection)
        results = {}
        is_dict = isinstance(source_value, dict)
        for response_name, field_nodes, plan in entry[2]:
            if plan is not None:
                try:
                    value = (
                        source_value.get(plan.attname, plan.default)
                        if is_dict
                        else getattr(source_value, plan.attname, plan.default)
                    )
                    if plan.kind == _GLOBAL_ID:
                        value = plan.node.to_global_id(plan.type_name, value)
                    if value is None:
                        if not plan.non_null:
                            results[response_name] = None
                            continue
                    else:
                        serialized = plan.serialize(value)
                        if serialized is not None and serialized is not Undefined:
                            results[response_name] = serialized
                            continue
                except Exception:
                    pass  # computed again below, where the error is located and reported
            result = self.execute_field(
                parent_type, source_value, field_nodes, Path(path, response_name, parent_type.name)
            )
            if result is not Undefined:
                results[response_name] = result
        return results

    def _plan(self, parent_type, field_node) -> _Plan | None:
        key = (parent_type.name, id(field_node))
        plan = self._plans.get(key)
        if plan is None:
            field_def = get_field_def(self.schema, parent_type, field_node)
            if not field_def:
                return None
            plan = _Plan(field_def, parent_type, field_node, self.schema, self.field_resolver)
            self._plans[key] = (plan, field_node)  # the node is kept so that its id stays unique
            return plan
        return plan[0]

    def execute_field(self, parent_type, source, field_nodes, path):
        if self.middleware_manager:
            return super().execute_field(parent_type, source, field_nodes, path)
        plan = self._plan(parent_type, field_nodes[0])
        if plan is None:
            return Undefined
        try:
            kind = plan.kind
            if kind == _ATTR:
                if isinstance(source, dict):
                    result = source.get(plan.attname, plan.default)
                else:
                    result = getattr(source, plan.attname, plan.default)
            elif kind == _GLOBAL_ID:
                value = (
                    source.get(plan.attname, plan.default)
                    if isinstance(source, dict)
                    else getattr(source, plan.attname, plan.default)
                )
                result = plan.node.to_global_id(plan.type_name, value)
            else:
                info = self.build_resolve_info(plan.field_def, field_nodes, parent_type, path)
                args = (
                    plan.args
                    if plan.args is not None
                    else get_argument_values(plan.field_def, field_nodes[0], self.variable_values)
                )
                result = plan.resolve(source, info, **args)
                if plan.serialize is None:
                    return self.complete_value(plan.return_type, field_nodes, info, path, result)
                return self._leaf(plan, result)
            if plan.serialize is not None:
                return self._leaf(plan, result)
            info = self.build_resolve_info(plan.field_def, field_nodes, parent_type, path)
            return self.complete_value(plan.return_type, field_nodes, info, path, result)
        except Exception as raw_error:
            error = located_error(raw_error, field_nodes, path.as_list())
            self.handle_field_error(error, plan.return_type, path)
            return None

    def complete_object_value(self, return_type, field_nodes, info, path, result):
        """graphql-core's, for a synchronous execution (``is_type_of`` never awaitable), with the
        sub-selection looked up by the first field node alone when it is the only one."""
        if self._dependencies is not None:
            self._dependencies.record(result)
        if len(field_nodes) == 1:
            key = (id(return_type), id(field_nodes[0]))
            sub_field_nodes = self._subfields.get(key)
            if sub_field_nodes is None:
                sub_field_nodes = self._subfields[key] = self.collect_subfields(return_type, field_nodes)
        else:
            sub_field_nodes = self.collect_subfields(return_type, field_nodes)
        is_type_of = return_type.is_type_of
        if is_type_of is not None and not is_type_of(result, info):
            raise invalid_return_type_error(return_type, result, field_nodes)
        return self.execute_fields(return_type, result, path, sub_field_nodes)

    def complete_list_value(self, return_type, field_nodes, info, path, result):
        """graphql-core's, without the checks for awaitable items (none here); a list of leaves
        (``tags: [String!]!``) is serialised in place."""
        if not isinstance(result, (list, tuple)):
            return super().complete_list_value(return_type, field_nodes, info, path, result)
        item_type = return_type.of_type
        entry = _type_kinds.get(id(item_type))
        if entry is None:
            entry = _type_kinds.setdefault(id(item_type), _kind_of(item_type))
        if entry[1] == _LEAF:
            serialize = entry[2].serialize
            try:
                values = [serialize(item) if item is not None else None for item in result]
                if None not in values and Undefined not in values:
                    return values
            except Exception:
                pass  # again below, item by item, where the error is located and reported
        completed = []
        append = completed.append
        complete = self.complete_value
        for index, item in enumerate(result):
            item_path = path.add_key(index, None)
            try:
                append(complete(item_type, field_nodes, info, item_path, item))
            except Exception as raw_error:
                error = located_error(raw_error, field_nodes, item_path.as_list())
                self.handle_field_error(error, item_type, item_path)
                append(None)
        return completed

    def complete_value(self, return_type, field_nodes, info, path, result):
        """graphql-core's ``complete_value`` with the type dispatch looked up once per type."""
        if isinstance(result, Exception):
            raise result
        entry = _type_kinds.get(id(return_type))
        if entry is None:
            entry = _type_kinds.setdefault(id(return_type), _kind_of(return_type))
        non_null, kind, inner, _keep = entry
        if result is None or result is Undefined:
            if non_null:
                raise TypeError(f"Cannot return null for non-nullable field {info.parent_type.name}.{info.field_name}.")
            return None
        if kind == _OBJECT:
            return self.complete_object_value(inner, field_nodes, info, path, result)
        if kind == _LIST:
            return self.complete_list_value(inner, field_nodes, info, path, result)
        if kind == _LEAF:
            return self.complete_leaf_value(inner, result)
        return self.complete_abstract_value(inner, field_nodes, info, path, result)

    @staticmethod
    def _leaf(plan: _Plan, result: Any) -> Any:
        """``complete_value`` for a (possibly non-null) scalar or enum, with the same errors."""
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            if plan.non_null:
                raise TypeError(f"Cannot return null for non-nullable field {plan.label}.")
            return None
        serialized = plan.serialize(result)
        if serialized is Undefined or serialized is None:
            raise TypeError(
                f"Expected `{plan.return_type}.serialize({result!r})` to return non-nullable value, returned: {serialized!r}"
            )
        return serialized


def _has_variables(value) -> bool:
    """Whether a literal refers to a variable anywhere inside (``{parent: $p}`` included)."""
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ObjectValueNode):
        return any(_has_variables(f.value) for f in value.fields)
    if isinstance(value, ListValueNode):
        return any(_has_variables(v) for v in value.values)
    return False


def _never_awaitable(value: Any) -> bool:
    return False


_OBJECT, _LIST, _LEAF, _ABSTRACT = range(4)
# id(type) -> (non-null, kind, the type inside NonNull, the type itself: keeps the id unique)
_type_kinds: dict[int, tuple] = {}


def _kind_of(return_type) -> tuple:
    non_null = isinstance(return_type, GraphQLNonNull)
    inner = return_type.of_type if non_null else return_type
    if is_list_type(inner):
        kind = _LIST
    elif is_leaf_type(inner):
        kind = _LEAF
    elif is_abstract_type(inner):
        kind = _ABSTRACT
    elif is_object_type(inner):
        kind = _OBJECT
    else:  # pragma: no cover - graphql-core raises the same for this impossible case
        raise TypeError(f"Cannot complete value of unexpected output type: '{inner}'.")
    return non_null, kind, inner, return_type


# --- plans, one dict per document ----------------------------------------------------------------
# Keyed by the operation node's id (shop/core/identity_cache.py). Bounded: the view caches up to
# 512 documents; this keeps the plans of up to 1,024 operations.

_plans = IdentityCache(maxsize=1024)


def plans_for(operation) -> dict:
    return _plans.get_or_make(id(operation), operation, dict)
