"""A small progress bar on stderr (no dependency): redrawn in place on a terminal, a line every
10% otherwise (CI logs)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int, *, stream=None, enabled: bool = True):
        self.label = label
        self.total = max(int(total), 1)
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_decile = -1

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw >= 0.2 or self.done >= self.total:
                self._last_draw = now
                self._draw(end="")
        else:
            decile = min(10, self.done * 10 // self.total)
            if decile != self._last_decile:
                self._last_decile = decile
                self._draw(end="\n")

    def _draw(self, end: str) -> None:
        fraction = min(1.0, self.done / self.total)
        width = 30
        bar = "#" * int(fraction * width) + "-" * (width - int(fraction * width))
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = (
            f"{self.label:<16} [{bar}] {self.done:>10,}/{self.total:,} {fraction:6.1%} {elapsed:6.1f}s {rate:>9,.0f}/s"
        )
        self.stream.write(("\r" if self.tty else "") + text + end)
        self.stream.flush()

    def close(self) -> float:
        elapsed = time.monotonic() - self.started
        if self.enabled and self.tty:
            self._draw(end="\n")
        return elapsed
