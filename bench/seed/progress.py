"""The seeder's progress bar is the project's one (shop/core/progress.py)."""

from shop.core.progress import Progress

__all__ = ["Progress"]
