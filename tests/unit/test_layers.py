"""The domain is plain Python: it imports nothing outside the standard library and itself, but for the
solver package behind the sourcing model's programme (computation, no I/O)."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).parents[2] / "src" / "oms" / "domain"
SOLVER = {"mip.py": {"highspy"}}  # the only file that may load it


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
