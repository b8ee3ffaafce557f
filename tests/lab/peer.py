"""Netdisco's SNMP::Info (Debian libsnmp-info-perl) as a peer, read through ../shared's peer-dump.pl.

SNMP::Info's net-snmp class loads a few vendor MIB modules (DOCSIS, Cisco) that are not among
../shared's MIB folders; it only checks that each defines one named object. Such a module gets a
stub here that defines that object under an unused private arc: nothing on the lab's agents lives
there, as nothing of those vendor MIBs does. The stubs are written on demand, named by the
peer's own error ("Cannot find module (X)"), never more than SNMP::Info asks for.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.helpers import SHARED

PEER_DUMP = SHARED / "snmprec" / "tools" / "peer-dump.pl"
MIB_FOLDERS = (SHARED / "netdisco-mibs" / "rfc", SHARED / "netdisco-mibs" / "net-snmp")
SNMP_INFO_SOURCE = Path("/usr/share/perl5/SNMP/Info")
STUB_ARC = "1.3.6.1.4.1.99999"
MISSING = re.compile(r"Cannot find module \(([A-Za-z0-9-]+)\)")


def declared_test_objects() -> dict[str, str]:
    """module -> the object SNMP::Info tests it by, from the %MIBS tables of its classes."""
    pairs = re.findall(r"'([A-Z0-9-]+-MIB)'\s*=>\s*'([A-Za-z0-9]+)'",
                       "\n".join(p.read_text(errors="replace") for p in SNMP_INFO_SOURCE.rglob("*.pm")))
    return dict(pairs)


def write_stub(folder: Path, module: str, test_object: str, arc: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.txt").write_text(
        f"{module} DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\n"
        f"{test_object} OBJECT IDENTIFIER ::= {{ enterprises 99999 {arc} }}\nEND\n")


def peer_dump(namespace: str, host: str, community: str, stubs: Path, max_stubs: int = 40) -> dict:
    """What SNMP::Info reads from the agent at host:161, run in `namespace`."""
    objects = declared_test_objects()
    for _ in range(max_stubs):
        run = subprocess.run(["ip", "netns", "exec", namespace, "perl", str(PEER_DUMP), host, "161", community,
                              *map(str, MIB_FOLDERS), str(stubs)], capture_output=True, text=True, timeout=120)
        missing = MISSING.search(run.stderr)
        if run.returncode == 0 or missing is None:
            break
        module = missing.group(1)
        if module not in objects or (stubs / f"{module}.txt").exists():
            raise RuntimeError(f"SNMP::Info needs {module}, which cannot be stubbed: {run.stderr[-500:]}")
        write_stub(stubs, module, objects[module], len(list(stubs.glob("*.txt"))) + 1 if stubs.exists() else 1)
    if run.returncode != 0:
        raise RuntimeError(f"peer-dump.pl failed against {host}: {run.stderr[-1000:]}")
    return json.loads(run.stdout)
