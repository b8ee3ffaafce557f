"""Serve a simulated device over real SNMP (v2c, or v3 USM) on a loopback UDP port.

pysnmp's own command responders do the protocol (GET, GETNEXT, GETBULK, v3 security);
this module only gives them a MIB view to read from. SET is not served.
"""

from __future__ import annotations

import asyncio
import bisect
import socket
from collections.abc import Callable

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c
from pysnmp.smi import error as smi_error

from portmap.demo.network import AgentFault, DeviceSpec
from portmap.snmp import oids
from portmap.snmp.oids import Oid

Getter = Callable[[], object]
_READ_VIEW = (1, 3, 6)


class MibView:
    """The instrumentation pysnmp's responders call: exact GET and ordered GETNEXT."""

    def __init__(self, values: dict[Oid, Getter]) -> None:
        self.replace(values)

    def replace(self, values: dict[Oid, Getter]) -> None:
        """Serve other objects from now on (a table that changed size, say)."""
        self.values = values
        self.order = sorted(values)

    def read_variables(self, *var_binds, **context):  # type: ignore[no-untyped-def]
        answer = []
        for name, _ in var_binds:
            getter = self.values.get(tuple(name))
            answer.append((name, getter() if getter else rfc1905.noSuchInstance))
        return answer

    def read_next_variables(self, *var_binds, **context):  # type: ignore[no-untyped-def]
        answer = []
        for name, _ in var_binds:
            position = bisect.bisect_right(self.order, tuple(name))
            if position == len(self.order):
                answer.append((name, rfc1905.endOfMibView))
            else:
                following = self.order[position]
                answer.append((rfc1902.ObjectName(following), self.values[following]()))
        return answer


class FaultyMibView(MibView):
    """A MIB view that misbehaves the way broken agents do (see AgentFault)."""

    def __init__(self, values: dict[Oid, Getter], faults: tuple[AgentFault, ...]) -> None:
        super().__init__(values)
        self.faults = faults

    def read_variables(self, *var_binds, **context):  # type: ignore[no-untyped-def]
        return [self._spoil(name, value) for name, value in super().read_variables(*var_binds, **context)]

    def read_next_variables(self, *var_binds, **context):  # type: ignore[no-untyped-def]
        answer = []
        for (asked, _), (name, value) in zip(var_binds, super().read_next_variables(*var_binds, **context)):
            asked_oid = tuple(asked)
            if AgentFault.OIDS_REPEAT in self.faults and asked_oid in self.values and _under(asked_oid, _IF_TABLE):
                name, value = asked, self.values[asked_oid]()
            elif AgentFault.ENDLESS_TABLE in self.faults and _under(asked_oid, oids.ifDescr.oid) and not _under(tuple(name), oids.ifDescr.oid):
                next_row = asked_oid[len(oids.ifDescr.oid)] + 1 if len(asked_oid) > len(oids.ifDescr.oid) else 1
                name, value = rfc1902.ObjectName(oids.ifDescr.instance(next_row)), rfc1902.OctetString(f"ghost{next_row}")
            answer.append(self._spoil(name, value))
        return answer

    def _spoil(self, name: object, value: object) -> tuple[object, object]:
        if AgentFault.TEXT_COUNTERS in self.faults and _under(tuple(name), oids.ifHCInOctets.oid):  # type: ignore[arg-type]
            return name, rfc1902.OctetString("twelve")
        return name, value


_IF_TABLE = (1, 3, 6, 1, 2, 1, 2, 2)
TOO_BIG_ABOVE_REPETITIONS = 4
TOO_BIG_ABOVE_VARBINDS = 16
SILENT_ABOVE_BYTES = 800


def _under(oid: Oid, prefix: Oid) -> bool:
    return oid[: len(prefix)] == prefix


class _TooBigBulkResponder(cmdrsp.BulkCommandResponder):
    """Answers tooBig to a GETBULK asking for more than a few repetitions."""

    def handle_management_operation(self, snmpEngine, stateReference, contextName, PDU):  # type: ignore[no-untyped-def]
        if v2c.apiBulkPDU.get_max_repetitions(PDU) > TOO_BIG_ABOVE_REPETITIONS:
            raise smi_error.TooBigError()
        super().handle_management_operation(snmpEngine, stateReference, contextName, PDU)


class _TooBigGetResponder(cmdrsp.GetCommandResponder):
    """Answers tooBig to a GET asking for more than a few instances."""

    def handle_management_operation(self, snmpEngine, stateReference, contextName, PDU):  # type: ignore[no-untyped-def]
        if len(v2c.apiPDU.get_varbinds(PDU)) > TOO_BIG_ABOVE_VARBINDS:
            raise smi_error.TooBigError()
        super().handle_management_operation(snmpEngine, stateReference, contextName, PDU)


def _drop_big_answers(transport: udp.UdpTransport) -> None:
    """Send nothing in place of an answer over SILENT_ABOVE_BYTES."""
    send = transport.send_message

    def send_small(message: bytes, address: object) -> None:
        if len(message) <= SILENT_ABOVE_BYTES:
            send(message, address)

    transport.send_message = send_small


_BRIDGE_MIB = (1, 3, 6, 1, 2, 1, 17)
"""BRIDGE-MIB, with Q-BRIDGE-MIB under it."""


def _silent_for_fdb(responder: type[cmdrsp.CommandResponderBase]) -> type[cmdrsp.CommandResponderBase]:
    """The responder, sending nothing for a request that names a forwarding-table OID."""

    class Silent(responder):  # type: ignore[misc, valid-type]
        def handle_management_operation(self, snmpEngine, stateReference, contextName, PDU):  # type: ignore[no-untyped-def]
            if any(_under(tuple(name), _BRIDGE_MIB) for name, _ in v2c.apiPDU.get_varbinds(PDU)):
                self.release_state_information(stateReference)
                return
            super().handle_management_operation(snmpEngine, stateReference, contextName, PDU)

    return Silent


class SimulatedAgent:
    def __init__(
        self, device: DeviceSpec, values: dict[Oid, Getter], reload_counters: Callable[[], None] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        """`reload_counters`, for an agent that caches counters, is called every counter_cache_s."""
        self.device = device
        self.host = host
        self.view = FaultyMibView(values, device.faults) if device.faults else MibView(values)
        self.reload_counters = reload_counters
        self._engine: engine.SnmpEngine | None = None
        self._reload_timer: asyncio.TimerHandle | None = None
        self._socket: socket.socket | None = None

    def _reload_counters(self) -> None:
        assert self.reload_counters is not None
        self.reload_counters()
        self._reload_timer = asyncio.get_running_loop().call_later(self.device.counter_cache_s, self._reload_counters)

    def start(self) -> None:
        """Bind the UDP port and answer from now on (call inside the running event loop); OSError
        when the port cannot be bound (in use)."""
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_DGRAM)
        try:  # bound here, not by pysnmp, whose bind fails later in a task and unseen
            sock.bind((self.host, self.device.agent_port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        snmp_engine = engine.SnmpEngine()
        transport = udp.UdpTransport().open_server_mode(sock=sock)
        if AgentFault.SILENT_WHEN_BIG in self.device.faults:
            _drop_big_answers(transport)
        config.add_transport(snmp_engine, udp.DOMAIN_NAME, transport)
        if self.device.v3_user:
            config.add_v3_user(
                snmp_engine, self.device.v3_user,
                config.USM_AUTH_HMAC192_SHA256, self.device.v3_auth_password,
                config.USM_PRIV_CFB128_AES, self.device.v3_priv_password,
            )
            config.add_vacm_user(snmp_engine, 3, self.device.v3_user, "authPriv", _READ_VIEW)
        else:
            config.add_v1_system(snmp_engine, "demo-area", self.device.community)
            config.add_vacm_user(snmp_engine, 2, "demo-area", "noAuthNoPriv", _READ_VIEW)
        snmp_context = context.SnmpContext(snmp_engine)
        snmp_context.unregister_context_name(b"")
        snmp_context.register_context_name(b"", self.view)
        too_big = AgentFault.TOO_BIG in self.device.faults
        get = _TooBigGetResponder if too_big else cmdrsp.GetCommandResponder
        bulk = _TooBigBulkResponder if too_big else cmdrsp.BulkCommandResponder
        for responder in (get, cmdrsp.NextCommandResponder, bulk):
            if AgentFault.SILENT_FOR_FDB in self.device.faults:
                responder = _silent_for_fdb(responder)
            responder(snmp_engine, snmp_context)
        self._engine = snmp_engine
        if self.reload_counters is not None:
            self._reload_timer = asyncio.get_running_loop().call_later(self.device.counter_cache_s, self._reload_counters)

    def stop(self) -> None:
        if self._reload_timer is not None:
            self._reload_timer.cancel()
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
        if self._socket is not None:  # now, not when the event loop gets to it: a reboot binds the port again at once
            self._socket.close()
            self._socket = None
