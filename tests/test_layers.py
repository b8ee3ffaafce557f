"""The arrows between portmap's layers: data walks snmp -> core -> engine -> present -> faces.

Every `portmap` import of every module (function-level ones included) is checked against what
its package may import: the pure core nothing outside itself and no I/O library; present no
SNMP, engine or face; a face (cli, tui) no SNMP and no other face; nothing but the entry point
(portmap/main.py) imports a face.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

PACKAGE = REPO / "portmap"
SHARED = {"errors", "inventory"}
"""Imported by any layer: the error tree and the inventory's model."""
MAY_IMPORT: dict[str, set[str]] = {
    "core": {"core"},
    "snmp": {"snmp", "core"} | SHARED,
    "engine": {"engine", "snmp", "core"} | SHARED,
    "present": {"present", "core"} | SHARED,
    "cli": {"cli", "present", "engine", "core"} | SHARED,
    "tui": {"tui", "present", "engine", "core"} | SHARED,
    "endpoints": {"endpoints", "present", "engine", "core"} | SHARED,
    "inventory": {"inventory", "core", "errors"},
    "demo": {"demo", "snmp", "core"} | SHARED,
    "errors": {"errors"},
}
"""By package under portmap/: the packages its modules may import. portmap/main.py (the entry
point that picks a face) and __main__.py may import anything."""
ENTRY_POINTS = {"main", "__main__", "__init__"}
NO_IO = ("pysnmp", "pyasn1", "textual", "rich", "socket", "asyncio", "sqlite3", "threading", "subprocess")
"""Libraries that do I/O or draw: never in the core, nor in present (which writes plain text)."""
PURE = {"core", "present"}


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "portmap":  # from portmap import cli
                names.update(f"portmap.{alias.name}" for alias in node.names)
    return names


def offences(relative: Path, source: str) -> list[str]:
    """What one module (its path under portmap/) imports that its layer may not."""
    layer = relative.parts[0].removesuffix(".py")
    if layer in ENTRY_POINTS:
        return []
    allowed = MAY_IMPORT[layer]
    found = []
    for name in sorted(imported_modules(source)):
        parts = name.split(".")
        if parts[0] == "portmap" and len(parts) > 1 and parts[1] not in allowed:
            found.append(f"{relative}: {name}")
        if layer in PURE and parts[0] in NO_IO:
            found.append(f"{relative}: {name} (I/O)")
    return found


def test_every_module_imports_only_what_its_layer_may():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert {path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in modules} <= set(MAY_IMPORT) | ENTRY_POINTS
    found = [offence for path in modules for offence in offences(path.relative_to(PACKAGE), path.read_text())]
    assert found == []


def test_the_check_catches_each_kind_of_wrong_arrow():
    """Each rule broken once in a made-up module: the check names it."""
    wrong = {
        "core/x.py": "from portmap.engine.poller import Engine",
        "core/y.py": "import asyncio",
        "present/x.py": "from portmap.snmp.session import SnmpClient",
        "present/y.py": "from rich.text import Text",
        "cli/x.py": "def f():\n    from portmap.tui.app import PortmapApp",
        "tui/x.py": "from portmap.cli import commands",
        "tui/y.py": "from portmap import snmp",
        "engine/x.py": "from portmap.present.top import render_table",
        "snmp/x.py": "from portmap.engine.tables import read_once",
    }
    for path, source in wrong.items():
        assert offences(Path(path), source), path
    assert offences(Path("main.py"), "from portmap.tui.run import run_ui") == []
    assert offences(Path("tui/z.py"), "from portmap.present.labels import port_label\nfrom portmap.engine.watch import watch") == []


def test_importing_the_core_and_present_loads_no_network_library():
    code = (
        "import sys, portmap.core.snapshot, portmap.core.detector, portmap.present.top, portmap.present.tables;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pysnmp', 'pyasn1', 'textual')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert result.stdout.strip() == "[]"


def test_no_set_request_anywhere_in_the_poller():
    """Read-only by construction: the package never imports pysnmp's SET command."""
    sources = [p for p in PACKAGE.rglob("*.py") if "demo" not in p.parts]
    assert not [p.name for p in sources if "set_cmd" in p.read_text() or "SetCommand" in p.read_text()]
