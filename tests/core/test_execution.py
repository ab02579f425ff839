"""FastExecutionContext (shop/core/execution.py) gives exactly what graphql-core gives: the same
data, the same errors at the same paths, nulls propagated the same way, for every shortcut it
takes (attributes, dict keys, global IDs, literal arguments, objects, lists, fragments), the first
time and when its plans are reused."""

from __future__ import annotations

import graphene
import pytest
from graphene import relay

from graphql import execute, parse
from shop.core.execution import FastExecutionContext


class Colour(graphene.Enum):
    RED = "RED"
    BLUE = "BLUE"


class Tag(graphene.ObjectType):
    name = graphene.String(required=True)
    weight = graphene.Int()


class Item(graphene.ObjectType):
    class Meta:
        interfaces = (relay.Node,)

    name = graphene.String(required=True)
    price = graphene.Decimal()
    colour = graphene.Field(Colour)
    tags = graphene.List(graphene.NonNull(Tag), required=True)
    maybe = graphene.String()
    broken = graphene.String()
    strict = graphene.String(required=True)
    children = graphene.List(lambda: Item, first=graphene.Int(), filter=graphene.Argument(graphene.JSONString))
    label = graphene.String(prefix=graphene.String(default_value="#"))
    words = graphene.List(graphene.NonNull(graphene.String))
    numbers = graphene.List(graphene.Int)

    def resolve_broken(root, info):
        raise ValueError("the resolver failed")

    def resolve_children(root, info, first=None, filter=None):
        kids = root.get("children", []) if isinstance(root, dict) else getattr(root, "children", [])
        return kids[: first or len(kids)]

    def resolve_label(root, info, prefix="#"):
        name = root["name"] if isinstance(root, dict) else root.name
        return f"{prefix}{name}"

    @classmethod
    def get_node(cls, info, id):
        return None


class Plain:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _items():
    from decimal import Decimal

    child = Plain(
        id=3,
        name="Chén",
        price=Decimal("12.50"),
        colour="BLUE",
        tags=[{"name": "gốm", "weight": 2}],
        maybe=None,
        strict="ok",
        children=[],
        words=["a", None],
        numbers=[1, None, "x"],
    )
    nasty = Plain(id=4, name="Bình", price=None, colour="RED", tags=[], maybe="x", strict=None, children=[])
    return [
        {
            "id": 1,
            "name": "Bát",
            "price": Decimal("250000"),
            "colour": "RED",
            "tags": [{"name": "men", "weight": None}],
            "maybe": None,
            "strict": "yes",
            "children": [child, nasty],
            "words": ["gốm", "sứ"],
            "numbers": [1, 2],
        },
        Plain(
            id=2,
            name="Đĩa",
            price=Decimal("90000"),
            colour="BLUE",
            tags=[Plain(name="sứ", weight=1)],
            maybe="m",
            strict="s",
            children=[child],
        ),
        Plain(
            id=5, name=None, price=None, colour=None, tags=[], maybe=None, strict="s", children=[]
        ),  # name is non-null
        Plain(
            id=6,
            name="Lọ",
            price=None,
            colour=None,
            tags=[Plain(name=None, weight=1)],
            maybe=None,
            strict="s",
            children=[],
        ),
    ]


class Query(graphene.ObjectType):
    items = graphene.List(Item, count=graphene.Int())
    item = graphene.Field(Item)

    def resolve_items(root, info, count=None):
        return _items()[: count or 10]

    def resolve_item(root, info):
        return _items()[1]


SCHEMA = graphene.Schema(query=Query).graphql_schema

DOCUMENTS = [
    ("{ items { id name price colour tags { name weight } maybe strict label } }", None),
    ("{ items { id broken } }", None),
    ("{ items { children(first: 1) { name tags { name } } } }", None),
    (
        'query($n: Int, $f: JSONString) { items(count: $n) { children(first: $n, filter: $f) { name label(prefix: "@") } } }',
        {"n": 2, "f": '{"a": 1}'},
    ),
    (
        "fragment F on Item { name price } { a: items { ...F x: name } b: item { ... on Item { colour tags { weight } } ...F } }",
        None,
    ),
    ("{ items { children { strict name } } }", None),
    ("{ item { __typename id children { __typename id } } }", None),
    ("{ items { words numbers children { words numbers } } }", None),
]


def _run(source, variables, fast):
    document = parse(source)
    kwargs = {"execution_context_class": FastExecutionContext} if fast else {}
    result = execute(SCHEMA, document, variable_values=variables, **kwargs)
    return result.data, sorted(
        (e.formatted for e in result.errors or []), key=lambda e: (str(e.get("path")), e["message"])
    )


@pytest.mark.parametrize("source, variables", DOCUMENTS)
def test_the_fast_execution_answers_what_graphql_core_answers(source, variables):
    expected = _run(source, variables, fast=False)
    document = parse(source)
    for _ in range(2):  # the second time, with the plans made by the first
        result = execute(SCHEMA, document, variable_values=variables, execution_context_class=FastExecutionContext)
        got = (
            result.data,
            sorted((e.formatted for e in result.errors or []), key=lambda e: (str(e.get("path")), e["message"])),
        )
        assert got == expected


def test_the_documents_cover_errors_and_null_propagation():
    errors = [len(_run(source, variables, fast=True)[1]) for source, variables in DOCUMENTS]
    assert errors[0] == 2 and errors[1] == 4 and errors[4] == 1 and errors[5] == 1
    data, _ = _run(DOCUMENTS[5][0], None, fast=True)
    assert data["items"][0]["children"][1] is None  # a non-null leaf failing nulls its parent object


def test_variables_inside_literal_objects_are_read_each_time():
    document = parse("query($n: Int) { items(count: 3) { children(first: $n) { name } } }")
    first = execute(SCHEMA, document, variable_values={"n": 1}, execution_context_class=FastExecutionContext)
    second = execute(SCHEMA, document, variable_values={"n": 2}, execution_context_class=FastExecutionContext)
    assert [len(i["children"]) for i in first.data["items"][:2]] == [1, 1]
    assert [len(i["children"]) for i in second.data["items"][:2]] == [2, 1]
