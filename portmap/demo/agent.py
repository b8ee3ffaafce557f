"""Serve a simulated device over real SNMP (v2c, or v3 USM) on a loopback UDP port.

pysnmp's own command responders do the protocol (GET, GETNEXT, GETBULK, v3 security);
this module only gives them a MIB view to read from. SET is not served.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905

from portmap.demo.mib import AgentCounters
from portmap.demo.network import DeviceSpec
from portmap.snmp.oids import Oid

Getter = Callable[[], object]
_READ_VIEW = (1, 3, 6)


class MibView:
    """The instrumentation pysnmp's responders call: exact GET and ordered GETNEXT."""

    def __init__(self, values: dict[Oid, Getter]) -> None:
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


class SimulatedAgent:
    def __init__(self, device: DeviceSpec, values: dict[Oid, Getter], counters: AgentCounters, host: str = "127.0.0.1") -> None:
        self.device = device
        self.host = host
        self.view = MibView(values)
        self.counters = counters
        self._engine: engine.SnmpEngine | None = None
        self._reload_timer: asyncio.TimerHandle | None = None

    def _reload_counters(self) -> None:
        self.counters.reload()
        self._reload_timer = asyncio.get_running_loop().call_later(self.device.counter_cache_s, self._reload_counters)

    def start(self) -> None:
        """Bind the UDP port and answer from now on (call inside the running event loop)."""
        snmp_engine = engine.SnmpEngine()
        transport = udp.UdpTransport().open_server_mode((self.host, self.device.agent_port))
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
        for responder in (cmdrsp.GetCommandResponder, cmdrsp.NextCommandResponder, cmdrsp.BulkCommandResponder):
            responder(snmp_engine, snmp_context)
        self._engine = snmp_engine
        if self.device.counter_cache_s:
            self._reload_timer = asyncio.get_running_loop().call_later(self.device.counter_cache_s, self._reload_counters)

    def stop(self) -> None:
        if self._reload_timer is not None:
            self._reload_timer.cancel()
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
