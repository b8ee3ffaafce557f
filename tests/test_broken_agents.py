"""Walks against agents that repeat OIDs, never end a table, send text for counters or say tooBig."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import AgentFault
from portmap.errors import SnmpMalformedResponse
from portmap.engine.poller import Engine
from portmap.snmp import oids, session as session_module
from portmap.demo.agent import TOO_BIG_ABOVE_VARBINDS
from portmap.snmp.ifmib import read_counters, read_interfaces, read_plan
from portmap.snmp.session import SnmpClient
from tests.conftest import scenario_network
from tests.helpers import free_udp_ports


@pytest.fixture
async def faulty():
    """acc1 healthy; one copy of acc2 per fault, each on its own port."""
    network = scenario_network(flood_after_s=3600)
    acc2 = network.device("acc2")
    ports = free_udp_ports(len(AgentFault))
    broken = tuple(
        replace(acc2, name=f"acc2-{fault}", agent_port=port, faults=(fault,)) for fault, port in zip(AgentFault, ports)
    )
    network = replace(network, devices=network.devices + broken)
    simulator = SimulatedNetwork(network)
    simulator.start()
    client = SnmpClient()
    yield {d.name: d for d in demo_inventory(network).devices}, client
    client.close()
    simulator.stop()


async def test_oids_that_do_not_increase_end_in_a_typed_error(faulty):
    devices, client = faulty
    with pytest.raises(SnmpMalformedResponse) as caught:
        await read_interfaces(client.session(devices["acc2-oids-repeat"]))
    assert "does not increase" in str(caught.value) and str(caught.value).startswith("acc2-oids-repeat: malformed response")


async def test_endless_table_is_cut_at_the_row_cap(faulty, monkeypatch):
    devices, client = faulty
    monkeypatch.setattr(session_module, "MAX_ROWS_PER_COLUMN", 300)
    session = client.session(devices["acc2-endless-table"])
    with pytest.raises(SnmpMalformedResponse, match="table longer than 300 rows"):
        await session.walk([oids.ifDescr.oid])
    assert session.requests_sent < 60


async def test_text_where_a_counter_belongs_names_device_and_oid(faulty):
    devices, client = faulty
    engine = Engine([devices["acc2-text-counters"], devices["acc1"]], client)
    snapshot = await engine.poll()
    (failed,) = snapshot.failed
    assert failed.error_kind == "SnmpMalformedResponse"
    assert failed.error.startswith("acc2-text-counters: malformed response: expected a number, got bytes (asking 1.3.6.1.2.1.31.1.1.1.6.")
    assert {p.rates.device for p in snapshot.ports} == {"acc1"}


async def test_too_big_answers_split_the_counter_gets_and_the_poll_completes(faulty):
    devices, client = faulty
    session = client.session(devices["acc2-too-big"])
    plan = await read_plan(session)
    sample = await read_counters(session, plan)
    assert len(sample.ports) == 14 and all(len(p.counters) == 12 for p in sample.ports.values())
    assert session.max_get_varbinds <= TOO_BIG_ABOVE_VARBINDS
    requests = session.requests_sent
    assert await read_counters(session, plan) is not None
    gets = -(-(1 + len(plan.stamp) + sum(len(names) for _, names in plan.ports)) // session.max_get_varbinds)
    assert session.requests_sent - requests == gets, "the next poll sends GETs of the learned size, none refused"


async def test_too_big_answers_shrink_the_bulk_size_and_the_walk_completes(faulty):
    devices, client = faulty
    session = client.session(devices["acc2-too-big"])
    interfaces = await read_interfaces(session)
    assert len(interfaces) == 14
    assert session.max_repetitions <= 4
