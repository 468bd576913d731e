"""Imports point downward: the library never imports the benchmark or the command line, the
benchmark package has no import cycle, and no module imports a private module of another package."""

from __future__ import annotations

import ast
from pathlib import Path

import revimpute

SRC = Path(revimpute.__file__).resolve().parent

#: (importing module, imported private module) pairs allowed for now; nothing may be added.
KNOWN_PRIVATE_IMPORTS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = ("revimpute", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Every module of the package and the revimpute modules it imports (anywhere in its code)."""
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        name = module_name(path)
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.startswith("revimpute"):
                    targets.add(node.module)
                    targets.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names if alias.name.startswith("revimpute"))
        found[name] = targets
    return found


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def test_the_library_never_imports_the_benchmark_or_the_command_line():
    upward = ("revimpute.bench", "revimpute.cli")
    wrong = {
        (module, target)
        for module, targets in imports().items()
        if not module.startswith(upward) and module != "revimpute.__main__"
        for target in targets
        if target.startswith(upward)
    }
    assert not wrong, sorted(wrong)


def _cycle_free(package: str) -> dict[str, set[str]]:
    """The import graph among ``package``'s modules, after checking that it has no cycle."""
    found = imports()
    inside = {module for module in found if module.startswith(package + ".")}
    graph = {module: found[module] & inside for module in inside}

    def visit(module: str, path: tuple[str, ...]) -> None:
        for target in graph.get(module, ()):
            assert target not in path, " -> ".join((*path, target))
            visit(target, (*path, target))

    for module in graph:
        visit(module, (module,))
    return graph


def test_the_benchmark_package_has_no_import_cycle():
    graph = _cycle_free("revimpute.bench")
    # the figures are drawn from the numbers, not from the report
    assert "revimpute.bench.report" not in graph["revimpute.bench.plots"]


def test_the_command_line_package_has_no_import_cycle():
    graph = _cycle_free("revimpute.cli")
    assert "revimpute.cli._impute" not in graph["revimpute.cli._uncertainty"]


def test_no_layer_imports_the_package_root():
    # the root's lazy attributes load revimpute.impute: a module below it that imports the root closes a cycle
    above = ("revimpute.cli", "revimpute.bench", "revimpute.__main__")
    wrong = {
        module
        for module, targets in imports().items()
        if module != "revimpute" and not module.startswith(above) and "revimpute" in targets
    }
    assert not wrong, sorted(wrong)


def test_no_module_imports_a_private_module_of_another_package():
    found = imports()
    wrong = set()
    for module, targets in found.items():
        for target in targets:
            if target not in found:
                continue  # a name imported from a module, not a module
            private = any(p.startswith("_") and not p.startswith("__") for p in target.split(".")[1:])
            if private and package_of(target) != package_of(module):
                wrong.add((module, target))
    assert wrong <= KNOWN_PRIVATE_IMPORTS, sorted(wrong - KNOWN_PRIVATE_IMPORTS)


def test_no_module_imports_a_private_name_of_another_package():
    found = imports()
    wrong = set()
    for module, targets in found.items():
        for target in targets:
            owner, _, name = target.rpartition(".")
            if target in found or owner not in found:
                continue  # a module, not a name
            if name.startswith("_") and not name.startswith("__") and package_of(owner) != package_of(module):
                wrong.add((module, target))
    assert not wrong, sorted(wrong)
