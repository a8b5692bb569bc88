"""The domain is plain Python: it imports nothing outside the standard library and itself, but for the
solver package behind the sourcing model's programme and the array and statistics packages of
replenishment's forecasts (computation, no I/O)."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).parents[2] / "src" / "oms" / "domain"
# The only files that may load them.
SOLVER = {"mip.py": {"highspy"}, "forecast.py": {"numpy", "scipy"}, "levels.py": {"numpy", "scipy"},
          "demand.py": {"numpy"}}


def test_domain_imports_only_the_standard_library():
    offenders = []
    for path in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] not in sys.stdlib_module_names
                          and n.split(".")[0] not in SOLVER.get(path.name, set())]
    assert offenders == []


SERVICES = DOMAIN.parent / "services"
# The service packages from the bottom up: each may import the ones before it, never one after it, so that the
# use cases stack without cycles (see each package's docstring for what it owns).
PACKAGES = ["runtime", "reference", "partners", "stock", "promise", "sourcing", "reservations", "orders", "supply",
            "returns", "fulfillment", "replenishment", "connectors", "reads"]
# What no service may import: the layers that call the services.
CALLERS = {"oms.api", "oms.console", "oms.cli", "oms.bootstrap", "oms.importer", "oms.demo"}


def _runtime_imports_of(path: Path) -> list[str]:
    """The absolute modules a file imports when it runs: imports under ``if TYPE_CHECKING:`` name types only."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(block)}
    package = ["oms", *path.relative_to(DOMAIN.parent).parent.parts]
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found += [f"{module}.{a.name}" for a in node.names] if node.module is None else [module]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


def test_service_packages_import_only_the_packages_below_them():
    assert sorted(p.name for p in SERVICES.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(PACKAGES)
    offenders = []
    for path in SERVICES.rglob("*.py"):
        own = path.relative_to(SERVICES).parts[0]
        for module in _runtime_imports_of(path):
            parts = module.split(".")
            if any(module == c or module.startswith(c + ".") for c in CALLERS):
                offenders.append(f"{path.relative_to(SERVICES)} imports {module}")
            elif parts[:2] == ["oms", "services"] and len(parts) > 2 and parts[2] != own:
                if own not in PACKAGES or parts[2] not in PACKAGES or PACKAGES.index(parts[2]) > PACKAGES.index(own):
                    offenders.append(f"{path.relative_to(SERVICES)} imports {module}")
    assert offenders == []


def test_every_service_package_says_what_it_owns():
    for name in PACKAGES:
        doc = ast.get_docstring(ast.parse((SERVICES / name / "__init__.py").read_text()))
        assert doc and "Owns" in doc and "May call" in doc, f"services/{name}/__init__.py"


def test_the_api_and_the_console_reach_the_database_only_through_services():
    """No SQL in the callers: the API and the console read and change through services (the API's error
    mapping alone names SQLAlchemy's and asyncpg's exceptions, to answer them)."""
    offenders = []
    for folder in ("api", "console"):
        for path in (DOMAIN.parent / folder).rglob("*.py"):
            for module in _runtime_imports_of(path):
                if module.startswith(("oms.db", "sqlalchemy")) and module != "sqlalchemy.exc":
                    offenders.append(f"{folder}/{path.name} imports {module}")
    assert offenders == []


def test_every_console_page_but_signing_in_and_out_needs_a_session():
    """One dependency decides who is signed in (and sends the others to sign in): no page does it by hand."""
    open_pages = {"sign_in_form", "sign_in", "sign_out"}
    missing = []
    for path in (DOMAIN.parent / "console").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.AsyncFunctionDef) and any(
                    isinstance(d, ast.Call) and getattr(d.func, "attr", None) in ("get", "post")
                    for d in node.decorator_list):
                annotations = {ast.unparse(a.annotation) for a in node.args.args if a.annotation}
                if node.name not in open_pages and "SignedIn" not in annotations:
                    missing.append(f"{path.name}: {node.name}")
    assert missing == []
