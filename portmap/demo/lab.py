"""Start and stop the whole simulated network in the running event loop."""

from __future__ import annotations

import time
from collections.abc import Callable

from portmap.demo.agent import SimulatedAgent
from portmap.demo.mib import AgentCounters, build_view
from portmap.demo.network import DemoNetwork
from portmap.demo.traffic import TrafficModel


class SimulatedNetwork:
    def __init__(self, network: DemoNetwork, clock: Callable[[], float] = time.monotonic, host: str = "127.0.0.1") -> None:
        self.network = network
        self.model = TrafficModel(network, clock)
        self.agents = {}
        for device in network.devices:
            counters = AgentCounters(device, self.model)
            self.agents[device.name] = SimulatedAgent(device, build_view(device, counters), counters, host)

    def start(self) -> None:
        for agent in self.agents.values():
            agent.start()

    def stop(self) -> None:
        for agent in self.agents.values():
            agent.stop()

    def restart(self, device: str) -> None:
        """Reboot one device: its agent keeps answering, but uptime and counters start at zero."""
        self.model.restart(device)
