"""Fuzzing the response path end to end (real pysnmp engine, real UDP) and the inventory loader.

The short form runs in every test run; PORTMAP_FUZZ_CASES=100000 makes the long run.
Every case must end in a result or a typed PortmapError: no other exception, no hang.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
import resource
import time

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portmap.core.neighbourhood import DeviceTables, map_neighbourhood
from portmap.engine.tables import read_tables
from portmap.errors import InventoryError, SnmpError
from portmap.inventory import load_inventory
from portmap.snmp.ifmib import read_counters, read_interfaces, read_plan
from portmap.present.tables import Inventoried, tables_json, tables_text
from portmap.snmp.session import SnmpClient
from tests.fuzz_agent import FuzzAgent, HostileTables
from tests.helpers import free_udp_ports, report, v2c_device

CASES = int(os.environ.get("PORTMAP_FUZZ_CASES", "400"))
CASE_DEADLINE_S = 20.0
AT_ONCE = 32


async def one_case(client: SnmpClient, port: int, case: int) -> str:
    session = client.session(v2c_device(f"fuzz{case}", port, timeout_s=0.3, retries=0))
    try:
        await asyncio.wait_for(read_interfaces(session), CASE_DEADLINE_S)
        plan = await asyncio.wait_for(read_plan(session), CASE_DEADLINE_S)
        await asyncio.wait_for(read_counters(session, plan), CASE_DEADLINE_S)
    except SnmpError as error:
        return type(error).__name__
    return "ok"


async def test_malformed_replies_end_in_a_result_or_a_typed_error():
    port, = free_udp_ports(1)
    agent = FuzzAgent(seed=20261127)
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(lambda: agent, local_addr=("127.0.0.1", port))
    client = SnmpClient()
    loop_errors: list[dict] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: loop_errors.append(context))
    outcomes: dict[str, int] = {}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    try:
        for first in range(0, CASES, AT_ONCE):
            batch = range(first, min(first + AT_ONCE, CASES))
            for outcome in await asyncio.gather(*(one_case(client, port, case) for case in batch)):
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        transport.close()
        client.close()
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    report(f"response-path fuzz: {CASES} polls in {time.monotonic() - started:.1f}s: {outcomes}; answers {agent.answers}; "
           f"undecodable datagrams dropped {client.undecodable_datagrams}; peak RSS grew {grown_mib:.1f} MiB")
    assert loop_errors == [], "an exception escaped into the event loop (asyncio would print a traceback)"
    assert sum(outcomes.values()) == CASES
    assert grown_mib < 200
    assert outcomes.get("SnmpMalformedResponse", 0) > 0 and outcomes.get("SnmpTimeout", 0) > 0



yaml_text = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=20,
)
KEYS = st.sampled_from(["defaults", "devices", "name", "host", "port", "snmp", "version", "community", "user",
                        "auth_password", "priv_password", "role", "tags", "timeout_s", "retries", "security_level"])
inventory_like = st.recursive(
    st.one_of(st.none(), st.integers(-5, 70000), st.sampled_from(["2c", "3", "1", "public", "sw1", "${X}", "authPriv"])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=5)),
    max_leaves=25,
)


INVENTORY_CASES = max(200, CASES // 2)
_inventory_cases_run = 0


@settings(max_examples=INVENTORY_CASES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.one_of(yaml_text, inventory_like), mutation=st.binary(max_size=8), cut=st.integers(0, 400))
def test_mutated_inventories_end_in_a_one_line_error_or_a_valid_inventory(tmp_path, document, mutation, cut):
    text = yaml.safe_dump(document, default_flow_style=bool(cut % 2)).encode()
    raw = text[:cut] + mutation + text[cut:]
    global _inventory_cases_run
    _inventory_cases_run += 1
    if _inventory_cases_run == INVENTORY_CASES:
        report(f"inventory fuzz: {INVENTORY_CASES} mutated documents, each a valid inventory or a one-line error")
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(raw)
    started = time.monotonic()
    try:
        load_inventory(path, environ={"X": "x-secret"})
    except InventoryError as error:
        assert "\n" not in str(error) and str(error).startswith(str(path))
    assert time.monotonic() - started < 2.0


TABLE_CASES = max(20, CASES // 10)


async def test_hostile_table_rows_are_skipped_and_never_escape_a_reader():
    """Valid answers with hostile rows: every device ends in its tables (rows skipped, counted
    under problems) or a typed error; no reader lets a row it cannot read out as an exception."""
    port, = free_udp_ports(1)
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: HostileTables(seed=20261130), local_addr=("127.0.0.1", port))
    client = SnmpClient()
    devices = [replace(v2c_device(f"hostile{case}", port, timeout_s=0.5), roles=frozenset({"switch", "router"}))
               for case in range(TABLE_CASES)]
    started = time.monotonic()
    try:
        results = await asyncio.wait_for(asyncio.gather(*(read_tables(client, d) for d in devices)), 120)
    finally:
        transport.close()
        client.close()
    read = [r for r in results if isinstance(r, DeviceTables)]
    assert len(read) + sum(isinstance(r, SnmpError) for r in results) == len(devices)
    assert not [p for t in read for p in t.problems if "unreadable answer" in p]
    neighbourhood = map_neighbourhood(read)
    inventoried = Inventoried([d.name for d in devices], read)
    assert [tables_json(t, inventoried, neighbourhood.uplinks) for t in read] and [tables_text(t, inventoried) for t in read]
    rows = sum(len(t.fdb) + len(t.arp) + len(t.neighbors) + len(t.aggregates) for t in read)
    skipped = sum(1 for t in read for p in t.problems if "skipped" in p)
    report(f"table-reader fuzz: {len(devices)} devices with hostile rows in {time.monotonic() - started:.1f}s: "
           f"{len(read)} read ({rows} rows kept, {skipped} with rows skipped), "
           f"{len(devices) - len(read)} typed errors")
