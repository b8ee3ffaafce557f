"""Start and stop the whole simulated network in the running event loop."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace

from portmap.demo.agent import SimulatedAgent
from portmap.demo.mib import AgentCounters, RenumberedCounters, build_view
from portmap.demo.tables import DeviceTables, device_tables, renumbered
from portmap.demo.network import DemoNetwork, DeviceSpec, HostSpec
from portmap.demo.traffic import TrafficModel


class SimulatedNetwork:
    def __init__(self, network: DemoNetwork, clock: Callable[[], float] = time.monotonic, host: str = "127.0.0.1") -> None:
        self.network = network
        self.model = TrafficModel(network, clock)
        self.host = host
        self.agents = {device.name: self._agent(device) for device in network.devices}

    def _agent(self, device: DeviceSpec) -> SimulatedAgent:
        counters = AgentCounters(device, self.model)
        view = build_view(device, counters, lambda: self.model.uptime_cs(device.name), self._tables(device))
        return SimulatedAgent(device, view, counters.reload if device.counter_cache_s else None, self.host)

    def _tables(self, device: DeviceSpec) -> DeviceTables | None:
        """FDB, ARP and LLDP for a device of the network; none for one added later by a test."""
        if device.name not in {d.name for d in self.network.devices}:
            return None
        return device_tables(self.network, device.name)

    def start(self) -> None:
        """Start every agent, or none: OSError (a port in use) stops those already started."""
        try:
            for agent in self.agents.values():
                agent.start()
        except OSError:
            self.stop()
            raise

    def stop(self) -> None:
        for agent in self.agents.values():
            agent.stop()

    def restart(self, device: str) -> None:
        """Reboot one device: its agent keeps answering, but uptime and counters start at zero."""
        self.model.restart(device)

    def change_tables(self, spec: DeviceSpec) -> None:
        """The device's tables change while it runs (a line card added, say)."""
        self.model.add_ports(spec)
        self._serve(spec)

    def _serve(self, spec: DeviceSpec) -> None:
        """The device's agent answers from `spec` and the network's tables from now on."""
        counters = AgentCounters(spec, self.model)
        agent = self.agents[spec.name]
        agent.view.replace(build_view(spec, counters, lambda: self.model.uptime_cs(spec.name), self._tables(spec)))
        agent.reload_counters = counters.reload if spec.counter_cache_s else None

    def reboot_as(self, spec: DeviceSpec) -> None:
        """Reboot a device into new settings: a new SNMP engine (new v3 engine id), maybe
        another community, other ports. Uptime and counters start at zero."""
        self.agents[spec.name].stop()
        self.model.add_ports(spec)
        self.model.restart(spec.name)
        self.agents[spec.name] = self._agent(spec)
        self.agents[spec.name].start()

    def move_host(self, name: str, switch: str, if_index: int) -> None:
        """A host unplugged and plugged into another port: every device's forwarding and ARP
        tables say so from now on (its traffic stays counted where it was: a move is in the tables)."""
        self._set_hosts(tuple(replace(h, switch=switch, if_index=if_index) if h.name == name else h for h in self.network.hosts))

    def unplug_host(self, name: str) -> None:
        """A host gone from the network: no forwarding or ARP table has it from now on."""
        self._set_hosts(tuple(h for h in self.network.hosts if h.name != name))

    def _set_hosts(self, hosts: tuple[HostSpec, ...]) -> None:
        self.network = replace(self.network, hosts=hosts)
        for spec in self.network.devices:
            self._serve(spec)

    def renumber(self, device: str, new_if_index: Mapping[int, int], reboot: bool = True) -> None:
        """The device's ports come back under other ifIndexes (`new_if_index`: each port's ifIndex
        -> its new one), each port's traffic and tables staying its own: a reboot after a stack
        member changed. With `reboot=False` the ifIndexes move while the agent runs, ifNumber
        unchanged and no ifTableLastChange, as hostile or buggy agents do."""
        spec = self.network.device(device)
        moved = {port.if_index: new_if_index.get(port.if_index, port.if_index) for port in spec.ports}
        shown = replace(spec, ports=tuple(replace(port, if_index=moved[port.if_index]) for port in spec.ports))
        if reboot:
            self.model.restart(device)
        counters = AgentCounters(spec, self.model)
        tables = self._tables(spec)
        agent = self.agents[device]
        agent.view.replace(build_view(shown, RenumberedCounters(counters, {new: old for old, new in moved.items()}),
                                      lambda: self.model.uptime_cs(device), tables and renumbered(tables, moved)))
        agent.reload_counters = counters.reload if spec.counter_cache_s else None
