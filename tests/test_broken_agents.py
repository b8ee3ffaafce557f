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
from portmap.core.samples import COUNTER_COLUMN
from portmap.snmp.ifmib import answer_growth, read_counters, read_interfaces, read_plan
from portmap.snmp.requests import MAX_ANSWER_GROWTH, MAX_GET_RESPONSE_BYTES
from portmap.snmp.session import SnmpClient
from tests.conftest import scenario_network
from tests.helpers import free_udp_ports, report


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


def _answer_sizes(session) -> list[int]:
    """The size of each answer's variable bindings the session gets from now on (what a GET is packed to keep under)."""
    sizes, send = [], session._transport.send

    async def recorded(*args):
        reply = await send(*args)
        sizes.append(reply.binds_stop - reply.binds_start)
        return reply

    session._transport.send = recorded
    return sizes


async def test_a_read_packs_its_gets_by_the_sizes_of_the_values_it_last_read(faulty):
    devices, client = faulty
    session = client.session(devices["acc1"])
    plan = await read_plan(session)
    sizes = _answer_sizes(session)
    first = await read_counters(session, plan)
    unsized = len(sizes)
    second = await read_counters(session, plan, previous=first)
    sized = sizes[unsized:]
    assert len(sized) < unsized, f"{len(sized)} GETs with the values' sizes known, {unsized} without"
    assert max(sizes) <= MAX_GET_RESPONSE_BYTES and max(sized) > max(sizes[:unsized]), sizes
    assert (second.values >= first.values).all() and (second.widths == first.widths).all() and second.widths.any()

    report(f"acc1's counter read: {unsized} GETs (answers of {min(sizes[:unsized - 1])}-{max(sizes[:unsized])} B) packed for "
           f"the largest values, {len(sized)} ({min(sized[:-1])}-{max(sized)} B) by the sizes last read")
    quiet_before = replace(second, values=second.values * 0)  # every counter 0 at the last read: 1 byte each
    third = await read_counters(session, plan, previous=quiet_before)
    assert (third.values >= second.values).all() and (third.widths == second.widths).all(), \
        "values grown past their packed size are read all the same (the answers are larger)"


async def test_a_counters_answer_is_packed_as_its_last_size_and_two_bytes_more(faulty):
    devices, client = faulty
    session = client.session(devices["acc1"])
    plan = await read_plan(session)
    last = await read_counters(session, plan)
    names = plan.ports[0][1]
    counters = [(at, COUNTER_COLUMN[name]) for at, name in enumerate(names) if name in COUNTER_COLUMN][:4]
    for (_, cell), value in zip(counters, (0, 127, 128, 2**64 - 1)):
        last.values[0, cell] = value
    assert last.widths[0, [cell for _, cell in counters]].all()
    growth = answer_growth(plan, last)
    first_port = 1 + len(plan.stamp)  # after sysUpTime and the stamp
    assert [growth[first_port + at] for at, _ in counters] == [3, 3, 4, MAX_ANSWER_GROWTH], \
        "values of 1, 1, 2 and 9 bytes in place of NULL's none, and 2 bytes more"
    assert growth[first_port + names.index("oper_status")] == MAX_ANSWER_GROWTH
    assert growth[:first_port].tolist() == [MAX_ANSWER_GROWTH] * first_port
    assert answer_growth(plan, replace(last, if_indexes=last.if_indexes[::-1])) is None, "another plan's values say nothing"
