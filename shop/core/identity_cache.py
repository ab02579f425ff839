"""A bounded, thread-safe cache of what was computed for an object, keyed by the object's identity.

The parsed documents of the GraphQL view are kept (shop/core/documents.py), so what is computed
for one of them (its analysis, the fast executor's plans) can be cached by ``id()``, which is
cheap where hashing the document would not be. Each entry holds its object as well, so that its
id stays unique while the entry lives, and a lookup checks that the object is the same one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any


class IdentityCache:
    """At most ``maxsize`` entries, the least recently used dropped first. A key is a tuple that
    starts with ``id(owner)`` (or any key that names ``owner`` alone)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def _hit(self, key: Hashable, owner) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is not None and entry[0] is owner:
            self._entries.move_to_end(key)
            return True, entry[1]
        return False, None

    def get_or_make(self, key: Hashable, owner, make: Callable[[], Any]) -> Any:
        """The value kept for ``key`` and ``owner``, else ``make()``'s, kept. ``make`` runs outside
        the lock; when two threads make a value for the same key at once, the first one kept wins."""
        with self._lock:
            found, value = self._hit(key, owner)
        if found:
            return value
        value = make()
        with self._lock:
            found, kept = self._hit(key, owner)
            if found:
                return kept
            self._entries[key] = (owner, value)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value
