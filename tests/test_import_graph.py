"""The import graph of the package: the one the README draws, no session imports a later one,
and no private name crosses a module.

Read from the source with ``ast`` (no import runs), imports inside functions included.
"""

import ast
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "prodml_workshop"


def _imported(file: Path) -> set[str]:
    """The ``prodml_workshop.*`` modules a file imports, relative imports resolved."""
    here = file.relative_to(ROOT).parts[:-1]  # the package the file is in
    found = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module)
                continue
            base = ".".join(here[: len(here) - (node.level - 1)])
            if node.module:
                found.add(f"{base}.{node.module}")
            else:  # from . import x: each name may be a module
                found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "prodml_workshop"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_names_imported(file: Path) -> list[str]:
    """The private names a file takes from another ``prodml_workshop`` module, with their lines.

    ``from module import _name`` (relative or absolute) and ``module._name`` on a module or
    package the file imported; a name of the file's own module is not counted.
    """
    return _private_names(file.read_text(encoding="utf-8"), file.relative_to(ROOT).parts[:-1])


def _private_names(source: str, here: tuple[str, ...] = ()) -> list[str]:
    tree = ast.parse(source)
    modules = set()  # local names bound to a prodml_workshop module or package
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "prodml_workshop":
                    modules.add(alias.asname or "prodml_workshop")
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                source = node.module or ""
            else:
                base = ".".join(here[: len(here) - (node.level - 1)])
                source = f"{base}.{node.module}" if node.module else base
            if source.split(".")[0] != "prodml_workshop":
                continue
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"line {node.lineno}: from {source} import {alias.name}")
                else:  # it may be a module: its private attributes count too
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def import_graph() -> dict[str, set[str]]:
    """Each subpackage or top-level module, with the others it imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for file in PACKAGE.rglob("*.py"):
        source = _top(".".join(file.relative_to(ROOT).with_suffix("").parts))
        for module in _imported(file):
            target = _top(module)
            if target is not None and target != source:
                graph[source].add(target)
    return dict(graph)


def readme_graph() -> dict[str, set[str]]:
    """The graph drawn in the README's developer section: ``name -> a, b`` lines."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"The import graph.*?```text\n(.*?)```", readme, re.S)
    assert block, "the README has no import graph (a ```text block after 'The import graph')"
    graph = {}
    for line in block.group(1).splitlines():
        if line.strip():
            source, targets = line.split("->")
            graph[source.strip()] = {t.strip() for t in targets.split(",")}
    return graph


def test_the_readme_draws_the_real_import_graph():
    assert readme_graph() == import_graph()


def test_serving_imports_nothing_from_monitoring():
    for file in sorted((PACKAGE / "serving").glob("*.py")):
        monitoring = {m for m in _imported(file) if _top(m) == "monitoring"}
        assert not monitoring, f"{file.name} imports {sorted(monitoring)}"


#: The toolkit a student takes home; the lecture props live apart, in ``props``.
TOOLKIT = ["packaging", "serving", "scaling", "monitoring", "production"]


@pytest.mark.parametrize("toolkit", TOOLKIT)
def test_the_toolkit_imports_no_prop(toolkit):
    for file in sorted((PACKAGE / toolkit).rglob("*.py")):
        assert "props" not in {_top(m) for m in _imported(file)}, file


@pytest.mark.parametrize("later", ["serving", "scaling", "monitoring", "production"])
def test_packaging_imports_no_later_session(later):
    for file in sorted((PACKAGE / "packaging").rglob("*.py")):
        assert later not in {_top(m) for m in _imported(file)}, file


def test_the_parser_sees_relative_and_function_level_imports(tmp_path, monkeypatch):
    # What the checks rest on: a relative import resolved to its subpackage, one in a function.
    package = tmp_path / "prodml_workshop"
    (package / "serving").mkdir(parents=True)
    (package / "serving" / "__init__.py").write_text("from . import service\n")
    (package / "serving" / "service.py").write_text(
        "from ..monitoring.data_drift import x\n\ndef f():\n    import prodml_workshop.scaling\n"
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "PACKAGE", package)
    assert _imported(package / "serving" / "service.py") == {
        "prodml_workshop.monitoring.data_drift",
        "prodml_workshop.scaling",
    }
    assert _imported(package / "serving" / "__init__.py") == {"prodml_workshop.serving.service"}
    assert import_graph() == {"serving": {"monitoring", "scaling"}}


def test_no_private_name_is_imported_across_modules():
    crossing = {
        str(file.relative_to(ROOT)): found
        for file in sorted(PACKAGE.rglob("*.py"))
        if (found := private_names_imported(file))
    }
    assert not crossing, (
        "a private name is used outside its module: make it public (no underscore, in "
        f"__all__, documented) or move the helper to the module that uses it: {crossing}"
    )


def test_the_private_name_check_sees_each_way_of_taking_one(tmp_path, monkeypatch):
    package = tmp_path / "prodml_workshop"
    (package / "monitoring").mkdir(parents=True)
    (package / "monitoring" / "data_drift.py").write_text(
        "from .statistics import _psi, ks_pvalue\n"
        "from prodml_workshop.monitoring import binning\n"
        "import prodml_workshop.packaging as packaging\n"
        "from . import statistics\n"
        "\n"
        "def f(frame):\n"
        "    frame._private_of_pandas\n"  # not a module of ours
        "    return binning._fill_zeros, packaging.load._read, statistics.__name__\n"
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert private_names_imported(package / "monitoring" / "data_drift.py") == [
        "line 1: from prodml_workshop.monitoring.statistics import _psi",
        "line 8: binning._fill_zeros",
        "line 8: packaging.load._read",
    ]


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
def test_notebooks_use_public_names_only(folder):
    for notebook in sorted((ROOT / folder).glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            lines = "".join(cell["source"]).splitlines()
            code = "\n".join("" if line.lstrip()[:1] in "%!" else line for line in lines)
            assert not _private_names(code), f"{notebook.name} cell {index}: {_private_names(code)}"
