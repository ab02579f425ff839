"""A small reader of gettext .po files, so that the catalog tests need no gettext tools.

Handles what ``makemessages`` writes: comments and ``#,`` flags, ``msgctxt``, ``msgid``,
``msgid_plural``, ``msgstr`` / ``msgstr[n]``, strings continued over several lines, and obsolete
(``#~``) entries, which are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPE_RE = re.compile(r"\\(.)")
_KEYWORD_RE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"\s*$')
_CONTINUATION_RE = re.compile(r'^"(.*)"\s*$')


def unescape(text: str) -> str:
    def replace(match):
        char = match.group(1)
        if char not in _ESCAPES:
            raise ValueError(f"unknown escape \\{char}")
        return _ESCAPES[char]

    return _ESCAPE_RE.sub(replace, text)


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        if self.msgid_plural is not None:
            return bool(self.msgstr_plural) and all(self.msgstr_plural.values())
        return bool(self.msgstr)

    @property
    def key(self) -> str:
        """The key Python's gettext uses for this entry in a compiled catalog."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def parse(path: Path | str) -> list[Entry]:
    """Every live entry of the file, the header (``msgid ""``) included, in file order."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()
    pending_line = 0

    def finish():
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):  # obsolete entry
            finish()
            continue
        if line.startswith("#"):
            if current is not None and target is not None:
                finish()  # a comment after a complete entry starts the next one
            if line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            pending_line = pending_line or number
            continue
        keyword = _KEYWORD_RE.match(line)
        if keyword:
            name, index, text = keyword.group(1), keyword.group(2), unescape(keyword.group(3))
            if (
                name in ("msgctxt", "msgid")
                and current is not None
                and target is not None
                and target[0] not in ("msgctxt",)
            ):
                finish()
            if current is None:
                current = Entry(flags=pending_flags, line=pending_line or number)
                pending_flags, pending_line = set(), 0
            if name.startswith("msgstr["):
                current.msgstr_plural[int(index)] = text
                target = ("msgstr_plural", int(index))
            else:
                setattr(current, name, text)
                target = (name, None)
            continue
        continuation = _CONTINUATION_RE.match(line)
        if continuation and current is not None and target is not None:
            text = unescape(continuation.group(1))
            name, index = target
            if name == "msgstr_plural":
                current.msgstr_plural[index] += text
            else:
                setattr(current, name, getattr(current, name) + text)
            continue
        raise ValueError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def header(entries: list[Entry]) -> dict[str, str]:
    """The header entry's fields (``Language``, ``Plural-Forms``, ...)."""
    for entry in entries:
        if entry.msgid == "" and entry.msgctxt is None:
            pairs = (line.partition(":") for line in entry.msgstr.splitlines() if ":" in line)
            return {name.strip(): value.strip() for name, _sep, value in pairs}
    return {}
