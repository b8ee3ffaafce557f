"""The pure core imports nothing that does I/O, nor the outer rings of portmap."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.helpers import REPO

FORBIDDEN = ("pysnmp", "pyasn1", "textual", "socket", "asyncio", "portmap.snmp", "portmap.cli", "portmap.demo", "portmap.poller")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_import_no_io_or_outer_rings():
    offenders = {
        f"{path.name}: {name}"
        for path in sorted((REPO / "portmap" / "core").glob("*.py"))
        for name in imported_modules(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert offenders == set()


def test_importing_the_core_loads_no_network_library():
    code = (
        "import sys, portmap.core.flags, portmap.core.rates, portmap.core.counters, portmap.format;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pysnmp', 'pyasn1', 'textual')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert result.stdout.strip() == "[]"


def test_no_set_request_anywhere_in_the_poller():
    """Read-only by construction: the package never imports pysnmp's SET command."""
    sources = [p for p in (REPO / "portmap").rglob("*.py") if "demo" not in p.parts]
    assert not [p.name for p in sources if "set_cmd" in p.read_text() or "SetCommand" in p.read_text()]
