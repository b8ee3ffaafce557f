"""Every OID portmap uses is checked against the MIB modules shipped in mibs/."""

from __future__ import annotations

import json

import pytest
from pysmi.codegen import JsonCodeGen
from pysmi.compiler import MibCompiler
from pysmi.parser import SmiV1CompatParser
from pysmi.reader import FileReader
from pysmi.searcher import StubSearcher
from pysmi.writer import CallbackWriter

from portmap.snmp.oids import ALL_OBJECTS, MibObject
from tests.helpers import REPO

BUILT_IN = ("RFC-1212", "RFC1158-MIB", "RFC-1215")


@pytest.fixture(scope="module")
def compiled_mibs() -> dict[str, dict]:
    modules: dict[str, dict] = {}
    compiler = MibCompiler(
        SmiV1CompatParser(tempdir=""), JsonCodeGen(),
        CallbackWriter(lambda name, text, context: modules.__setitem__(name, json.loads(text))),
    )
    compiler.add_sources(FileReader(str(REPO / "mibs")))
    compiler.add_searchers(StubSearcher(*BUILT_IN))
    wanted = sorted({obj.module for obj in ALL_OBJECTS.values()})
    results = compiler.compile(*wanted, ignoreErrors=True, noDeps=False, rebuild=True, genTexts=False)
    failed = {
        name: status for name, status in results.items()
        if status not in ("compiled", "untouched", "unprocessed") and name not in BUILT_IN
    }
    assert not failed, f"MIB modules in mibs/ did not compile: {failed}"
    return modules


def mismatches(objects: list[MibObject], compiled: dict[str, dict]) -> list[str]:
    found = []
    for obj in objects:
        symbol = compiled.get(obj.module, {}).get(obj.name)
        if symbol is None:
            found.append(f"{obj.module}::{obj.name} is not defined in mibs/")
        elif symbol["oid"] != obj.dotted:
            found.append(f"{obj.module}::{obj.name} is {symbol['oid']} in the MIB, {obj.dotted} in portmap")
    return found


def test_every_oid_constant_matches_its_mib_definition(compiled_mibs):
    assert mismatches(list(ALL_OBJECTS.values()), compiled_mibs) == []


def test_the_check_catches_a_wrong_or_unknown_object(compiled_mibs):
    wrong = MibObject("IF-MIB", "ifHCInOctets", (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 7))
    unknown = MibObject("IF-MIB", "ifHCInOctetz", (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6))
    assert mismatches([wrong, unknown], compiled_mibs) == [
        "IF-MIB::ifHCInOctets is 1.3.6.1.2.1.31.1.1.1.6 in the MIB, 1.3.6.1.2.1.31.1.1.1.7 in portmap",
        "IF-MIB::ifHCInOctetz is not defined in mibs/",
    ]
