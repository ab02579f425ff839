"""Looking ahead: which fields the client asks for below the current one (so that a resolver loads
only the columns and relations that are read)."""

from __future__ import annotations


def _merged_fields(selection_sets, fragments) -> dict[str, list]:
    from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

    fields: dict[str, list] = {}
    stack = list(selection_sets)
    seen: set[str] = set()
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields.setdefault(selection.name.value, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append(fragment.selection_set)
    return fields


def selected_fields(info, *path: str) -> dict[str, SelectedField]:
    """What the client asks for below the current field, following ``path`` (e.g. ``"edges",
    "node"``): field name -> :class:`SelectedField`, fragments and inline fragments merged
    (directives ignored: at worst a column is loaded that was not needed)."""
    current = [node.selection_set for node in info.field_nodes if node.selection_set]
    for name in path:
        nodes = _merged_fields(current, info.fragments).get(name, [])
        current = [node.selection_set for node in nodes if node.selection_set]
    return {
        name: SelectedField(nodes, info.fragments) for name, nodes in _merged_fields(current, info.fragments).items()
    }


class SelectedField:
    __slots__ = ("nodes", "fragments")

    def __init__(self, nodes, fragments):
        self.nodes = nodes
        self.fragments = fragments

    def fields(self) -> dict[str, SelectedField]:
        sets = [node.selection_set for node in self.nodes if node.selection_set]
        return {
            name: SelectedField(nodes, self.fragments) for name, nodes in _merged_fields(sets, self.fragments).items()
        }
