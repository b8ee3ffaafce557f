"""Read-only SNMP requests to one device at a time, over the transports every device shares.

`SnmpClient` owns the transports (one v1/v2c socket per address family, the SNMPv3 engines)
and a global cap on requests in flight; `DeviceSession` sends one request at a time to its
device through its transport (community.py or usm.py), keeps the get / walk / tooBig policy
and turns answers into plain values or typed `SnmpError`s. There is no SET path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from portmap.errors import SnmpAgentError, SnmpError, SnmpMalformedResponse, SnmpTimeout
from portmap.inventory.model import Device
from portmap.snmp.ber import BerError, first_name
from portmap.snmp.community import CommunityDevice, read_community_header
from portmap.snmp.datagrams import RequestSocket
from portmap.snmp import oids
from portmap.snmp.oids import Oid
from portmap.snmp.requests import instance_list
from portmap.snmp.transport import Reply, RequestKind, Transport
from portmap.snmp.usm import UsmAgents, UsmDevice
from portmap.snmp.values import EndOfColumn, SnmpValue

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MAX_ROWS_PER_COLUMN = 100_000
"""A table longer than this is an agent looping, not a switch."""
MAX_GET_VARBINDS = 1000
"""Instances per GET before an agent has said tooBig: the answer's size is the real limit."""
SMALLER_WALKS = (25, 10, 5, 1)
"""GETBULK repetitions tried in turn when a large answer never comes (each below the last tried)."""


def dotted(oid: Oid) -> str:
    return ".".join(map(str, oid))


class RequestBudget:
    """A cap on requests in flight, so that answers never arrive in bursts bigger than the
    socket can hold (the engine uses one for devices read at once, too). A request stops
    counting once it has waited `hold_s`: an unanswered one (a silent device) would otherwise
    keep its place for its whole timeout, and a few hundred silent devices during an outage
    would slow every other device's poll."""

    def __init__(self, size: int, hold_s: float = 0.5) -> None:
        self.places = asyncio.Semaphore(size)
        self.hold_s = hold_s

    def request(self) -> BudgetPlace:
        """A place for one request, taken by `async with`."""
        return BudgetPlace(self)


class BudgetPlace:
    """One request's place in a RequestBudget, held until the request ends or `hold_s` passes.
    A class rather than a generator-based context manager: every GET takes one."""

    __slots__ = ("_budget", "_held", "_timer")

    def __init__(self, budget: RequestBudget) -> None:
        self._budget = budget
        self._held = False
        self._timer: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> None:
        await self._budget.places.acquire()
        self._held = True
        self._timer = asyncio.get_running_loop().call_later(self._budget.hold_s, self._release)

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._timer is not None
        self._timer.cancel()
        self._release()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._budget.places.release()


class SnmpClient:
    """The process's SNMP transports, shared by every device, with a cap on requests in flight."""

    def __init__(self, max_in_flight: int = 64) -> None:
        self.community = RequestSocket(read_community_header, self._count_undecodable)
        """v1/v2c: one socket per address family (portmap/snmp/community.py)."""
        self.usm = UsmAgents(self._count_undecodable)
        """SNMPv3: one socket per address family, and each agent's engine (portmap/snmp/usm.py)."""
        self.undecodable_datagrams = 0
        """Datagrams dropped because they could not be read, on every transport."""
        self.in_flight = RequestBudget(max_in_flight)
        self.walk_sizes: dict[str, int] = {}
        """GETBULK repetitions each device has been found to answer (tooBig, or answers that
        never came), for every session to the device from then on."""

    def _count_undecodable(self) -> None:
        self.undecodable_datagrams += 1

    def transport(self, device: Device, vlan: int | None = None) -> Transport:
        if device.snmp.version in ("1", "2c"):
            return CommunityDevice(self.community, device, vlan)
        return UsmDevice(self.usm, device, vlan)

    def session(self, device: Device, vlan: int | None = None) -> DeviceSession:
        return DeviceSession(self, device, vlan)

    def close(self) -> None:
        self.community.close()
        self.usm.close()


class DeviceSession:
    """Requests to one device, one at a time, each answered by values or an SnmpError.

    With a VLAN, requests reach that VLAN's instance of the bridge MIBs on Cisco switches
    (community string indexing for v1/v2c, context `vlan-N` for v3).
    """

    def __init__(self, client: SnmpClient, device: Device, vlan: int | None = None) -> None:
        self.client = client
        self.device = device
        self._transport = client.transport(device, vlan)
        self._one_at_a_time = asyncio.Lock()
        self.in_flight = client.in_flight
        """The places this device's requests take: the client's, or the engine's for devices that failed."""
        self.max_get_varbinds = MAX_GET_VARBINDS
        """Instances per GET (requests.get_packed); halved for good when the agent says tooBig."""
        self.requests_sent = 0
        self.varbinds_received = 0
        self.last_answer_s = 0.0
        """Local monotonic time of the latest answer: when the agent read its values, give or
        take half a round trip, however many timeouts and retries came before."""
        self._answering = False
        """The agent answered the latest request."""
        self._answering_before_timeout = False
        """It had answered the request before the latest timeout."""

    @property
    def max_repetitions(self) -> int:
        """GETBULK repetitions: the inventory's, until the device is found to need fewer."""
        return self.client.walk_sizes.get(self.device.name, self.device.snmp.max_repetitions)

    @max_repetitions.setter
    def max_repetitions(self, repetitions: int) -> None:
        self.client.walk_sizes[self.device.name] = repetitions

    async def _send(self, kind: RequestKind, varbind_list: bytes, repetitions: int, oid_hint: str) -> Reply:
        """One GET, GETNEXT or GETBULK through the device's transport."""
        async with self._one_at_a_time, self.in_flight.request():
            self.requests_sent += 1
            log.debug("%s: %s from %s:%d, first OID %s", self.device.name, kind, self.device.host, self.device.port, oid_hint)
            try:
                reply = await self._transport.send(kind, varbind_list, repetitions, oid_hint)
            except SnmpTimeout:
                self._answering_before_timeout, self._answering = self._answering, False
                raise
        self._answering = True
        self.last_answer_s = time.monotonic()
        return reply

    def _decoded(self, decode: Callable[[], list[_T]], oid_hint: str) -> list[_T]:
        """A reply's variable bindings, decoded by `decode`; malformed ones are the device's error."""
        try:
            decoded = decode()
        except BerError as error:
            raise SnmpMalformedResponse(self.device.name, str(error), oid_hint) from None
        self.varbinds_received += len(decoded)
        return decoded

    async def _rows(self, kind: RequestKind, oids: Sequence[Oid], repetitions: int = 0) -> list[tuple[Oid, SnmpValue]]:
        hint = dotted(oids[0])
        reply = await self._send(kind, instance_list(oids), repetitions, hint)
        return self._decoded(reply.varbinds, hint)

    async def get(self, oids: Sequence[Oid]) -> dict[Oid, SnmpValue]:
        """GET the given instances; a missing one maps to an EndOfColumn value."""
        values = await self.get_values(instance_list(oids))
        return dict(zip((tuple(oid) for oid in oids), values))

    async def get_values(self, varbind_list: bytes) -> list[SnmpValue]:
        """GET the instances named in an encoded variable-bindings list (requests.py builds
        them): their values, in that order. An answer naming any other instance is a
        malformed response."""
        hint = dotted(first_name(varbind_list))
        reply = await self._send("get", varbind_list, 0, hint)
        return self._decoded(lambda: reply.values_answering(varbind_list), hint)

    async def walk(self, columns: Sequence[Oid]) -> dict[Oid, dict[Oid, SnmpValue]]:
        """Walk several table columns at once; returns {column: {index: value}}.

        Stops each column where its subtree ends; rejects OIDs that do not increase and
        tables longer than MAX_ROWS_PER_COLUMN; halves max-repetitions on tooBig, and asks
        fewer (SMALLER_WALKS) when an answer never comes from an agent that answers a small GET.
        """
        rows: dict[Oid, dict[Oid, SnmpValue]] = {column: {} for column in columns}
        if self.device.snmp.version == "1":
            for column in columns:
                await self._walk_columns([column], rows)
        else:
            await self._walk_columns(list(columns), rows)
        return rows

    async def _walk_columns(self, columns: list[Oid], rows: dict[Oid, dict[Oid, SnmpValue]]) -> None:
        cursor = {column: column for column in columns}
        active = list(columns)
        while active:
            answer = await self._next_rows(active, cursor)
            if not answer:
                raise SnmpMalformedResponse(self.device.name, "empty response to a walk", dotted(active[0]))
            finished: set[Oid] = set()
            for position, (oid, value) in enumerate(answer):
                column = active[position % len(active)]
                if column in finished:
                    continue
                if isinstance(value, EndOfColumn) or oid[: len(column)] != column:
                    finished.add(column)
                    continue
                if oid <= cursor[column]:
                    raise SnmpMalformedResponse(
                        self.device.name, f"OID {dotted(oid)} does not increase after {dotted(cursor[column])}",
                        dotted(column),
                    )
                cursor[column] = oid
                table = rows[column]
                table[oid[len(column):]] = value
                if len(table) > MAX_ROWS_PER_COLUMN:
                    raise SnmpMalformedResponse(
                        self.device.name, f"table longer than {MAX_ROWS_PER_COLUMN} rows: agent loops?", dotted(column)
                    )
            active = [column for column in active if column not in finished]

    async def _next_rows(self, active: list[Oid], cursor: dict[Oid, Oid]) -> list[tuple[Oid, SnmpValue]]:
        request = [cursor[column] for column in active]
        if self.device.snmp.version == "1":
            try:
                return await self._rows("next", request)
            except SnmpAgentError as exc:
                if exc.status == "noSuchName":  # SNMPv1's way of saying end of MIB
                    return [(cursor[active[0]], EndOfColumn("endOfMibView"))]
                raise
        while True:
            repetitions = max(1, min(self.max_repetitions, 64 // len(active) or 1))
            try:
                return await self._rows("bulk", request, repetitions)
            except SnmpAgentError as exc:
                if exc.status != "tooBig" or repetitions == 1:
                    raise
                self.max_repetitions = max(1, repetitions // 2)
            except SnmpTimeout:
                if repetitions == 1 or not await self.answers_small_get():
                    raise
                self.max_repetitions = max(size for size in (*SMALLER_WALKS, 1) if size < repetitions)
                log.info("%s: no answer to a GETBULK of %d repetitions though the agent answers: asking %d",
                         self.device.name, repetitions, self.max_repetitions)

    async def answers_small_get(self) -> bool:
        """After a request timed out, whether the agent, which answered the request before it,
        answers a small GET: tells an agent that is down from one that never sends a large
        answer (no tooBig, just nothing). An agent that was not answering is not asked again,
        so a silent device costs one timeout a request, not two."""
        if not self._answering_before_timeout:
            return False
        try:
            await self.get([oids.sysUpTime.instance(0)])
        except SnmpError:
            return False
        return True
