"""A custom import-linter contract (pyproject.toml, ``lint-imports``): named packages are imported
from their installed distribution, never shadowed by a file of the project.

The repository's ``graphql/`` folder is the API contract (schema.graphql, operations), not a
Python package: ``graphql/__init__.py`` (or ``graphql.py``) at the root would make ``import
graphql`` find it instead of graphql-core, since the project root is first on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import sysconfig
from pathlib import Path

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def shadowing(package: str, root: Path) -> list[str]:
    """What is wrong with ``package`` as seen from the project ``root`` (nothing: [])."""
    problems = [
        f"{path.relative_to(root)} shadows the installed {package}"
        for path in (root / package / "__init__.py", root / f"{package}.py")
        if path.exists()
    ]
    spec = importlib.util.find_spec(package)
    installed = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    if spec is None or spec.origin is None:
        problems.append(f"{package} is not installed")
    elif not any(Path(spec.origin).resolve().is_relative_to(folder) for folder in installed):
        problems.append(f"{package} is imported from {spec.origin}, not from the installed distribution")
    return problems


class UnshadowedContract(Contract):
    type_name = "unshadowed"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        root = Path.cwd()
        problems = [problem for package in self.packages for problem in shadowing(package, root)]
        return ContractCheck(kept=not problems, metadata={"problems": problems})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for problem in check.metadata["problems"]:
            output.print_error(problem, bold=False)
            output.new_line()
