from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import DemoNetwork, DeviceSpec, HostSpec, LinkSpec, PortSpec, default_network
from portmap.inventory.model import Device
from tests.helpers import PRIORITIES, REPORT, SHARED, free_udp_ports, require, require_root, require_tools
from tests.netns import Lab
from tests.recordings import LIBRENMS, SNMPREC, Recordings, snmpsim_command, start_snmpsim, wait_until_serving, write_made_up

V3_USER, V3_AUTH, V3_PRIV = "portmap-test", "auth-pass-7d3f", "priv-pass-9c1e"
COUNTER32_HEADROOM = 2_500_000
"""old1's 32-bit counters start this far below the wrap: nas1's 2 MB/s wraps them within ~1.3 s."""


def scenario_network(flood_after_s: float) -> DemoNetwork:
    """The demo network plus a Counter32-only switch (old1) and an SNMPv3 authPriv switch (v3sw)."""
    base = default_network(flood_after_s=flood_after_s)
    old1 = DeviceSpec(
        "old1", 0,
        (PortSpec(1, "port1", "port1", 100_000_000, "nas1", mac="02:00:5e:20:00:01"),
         PortSpec(25, "port25", "port25", 1_000_000_000, "uplink to core1", mac="02:00:5e:20:00:19")),
        counter32_only=True, counter32_start=2**32 - COUNTER32_HEADROOM, sys_descr="old 32-bit switch",
    )
    v3sw = DeviceSpec(
        "v3sw", 0,
        (PortSpec(1, "Gi0/1", "GigabitEthernet0/1", 1_000_000_000, "cam1"),
         PortSpec(2, "Gi0/2", "GigabitEthernet0/2", 1_000_000_000, "uplink to acc2")),
        v3_user=V3_USER, v3_auth_password=V3_AUTH, v3_priv_password=V3_PRIV,
    )
    nas1 = HostSpec("nas1", "00:11:32:00:00:01", "10.0.0.40", "old1", 1, send_pps=2000, recv_pps=500, send_bytes=1000, recv_bytes=200)
    cam1 = HostSpec("cam1", "00:40:8c:00:00:01", "10.0.0.50", "v3sw", 1, send_pps=300, recv_pps=20, send_bytes=1200)
    acc2 = base.device("acc2")
    acc2 = replace(acc2, ports=tuple(replace(p, alias="v3sw", up=True) if p.if_index == 12 else p for p in acc2.ports))
    network = replace(
        base,
        devices=tuple(acc2 if d.name == "acc2" else d for d in base.devices) + (old1, v3sw),
        hosts=base.hosts + (nas1, cam1),
        links=base.links + (LinkSpec("core1", 103, "old1", 25), LinkSpec("acc2", 12, "v3sw", 2)),
    )
    ports = free_udp_ports(len(network.devices))
    return network.with_agent_ports({d.name: p for d, p in zip(network.devices, ports)})


class RunningScenario:
    def __init__(self, network: DemoNetwork) -> None:
        self.network = network
        self.simulator = SimulatedNetwork(network)
        self.devices: dict[str, Device] = {d.name: d for d in demo_inventory(network).devices}

    def device(self, simulated: str, **changes: object) -> Device:
        """The inventory entry for a simulated device, with any fields changed."""
        return replace(self.devices[simulated], **changes)


def on_free_ports(network: DemoNetwork) -> DemoNetwork:
    """The network's agents on free loopback ports."""
    return network.with_agent_ports({d.name: p for d, p in zip(network.devices, free_udp_ports(len(network.devices)))})


def demo_with(changes: dict[str, dict[str, object]], flood_after_s: float = 3600) -> DemoNetwork:
    """The demo network, each named device's spec changed (faults, a v3 user, ports), on free ports."""
    network = default_network(flood_after_s=flood_after_s)
    return on_free_ports(replace(network, devices=tuple(replace(d, **changes.get(d.name, {})) for d in network.devices)))


def inventory_file(path: Path, devices: Iterable[Device]) -> Path:
    """An inventory file for these v2c devices (community public), as an operator writes one."""
    path.write_text("defaults: {snmp: {version: 2c, community: public}, timeout_s: 1}\ndevices:\n" + "".join(
        f"  - {{name: {d.name}, host: 127.0.0.1, port: {d.port}, role: [{', '.join(sorted(d.roles))}]}}\n" for d in devices))
    return path


@pytest.fixture
async def demo_running() -> AsyncIterator[RunningScenario]:
    """The plain demo network (no flood in the test's lifetime) on free loopback ports."""
    running = RunningScenario(on_free_ports(default_network(flood_after_s=3600)))
    running.simulator.start()
    yield running
    running.simulator.stop()


@pytest.fixture
async def quiet_scenario() -> AsyncIterator[RunningScenario]:
    """The scenario network with no flood in the test's lifetime."""
    running = RunningScenario(scenario_network(flood_after_s=3600))
    running.simulator.start()
    yield running
    running.simulator.stop()


@pytest.fixture
def lab(tmp_path):
    """Network namespaces for real agents, all removed after the test, even a failing one."""
    require_root()
    require_tools("ip", "snmpd", "snmpget")
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture(autouse=True)
def timed_tests_first(request: pytest.FixtureRequest) -> None:
    """On two workers, a test that measures time (tests/helpers.TIMING) gets the CPU before the
    test beside it: a lab test (LAB), whose agents and kernel count for themselves, and the
    processes it starts run at a lower priority, the others at a lower one still. Lowering the
    number again needs root (CI); elsewhere a worker stays at the lower priority once there."""
    group = request.node.get_closest_marker("xdist_group")
    try:
        os.setpriority(os.PRIO_PROCESS, 0, PRIORITIES.get(group.args[0] if group else None, 10))
    except PermissionError:
        pass


@pytest.fixture(autouse=True)
def own_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps baselines and history in files of its own (commands it runs inherit the
    variables), never the user's."""
    path = tmp_path / "portmap-state.sqlite"
    monkeypatch.setenv("PORTMAP_STATE", str(path))
    monkeypatch.setenv("PORTMAP_STORE", str(tmp_path / "portmap-history.sqlite"))
    return path


@pytest.fixture(scope="session")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recordings]:
    """snmpsim serving ../shared's real-device recordings and the made-up ones, once per test run."""
    require(SNMPREC.is_dir() and LIBRENMS.is_dir(), f"{SHARED} is absent: the real-device recordings are not on this machine")
    require(snmpsim_command().exists(), "needs snmpsim beside this Python (pip install '.[test]')")
    base = tmp_path_factory.mktemp("snmpsim")
    write_made_up(base / "made-up")
    (base / "cache").mkdir()
    port = free_udp_ports(1)[0]
    process = start_snmpsim([SNMPREC, LIBRENMS / "snmpsim", base / "made-up"], base / "cache", port, base / "log")
    try:
        asyncio.run(wait_until_serving(port, "nobridge", process, base / "log"))
        yield Recordings(port, base / "made-up")
    finally:
        process.terminate()
        process.wait(10)


FIGURES: list[str] = []
"""The figures of every test, gathered where the run is reported (with xdist: the controller)."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """A test's figures travel with its report: xdist hands reports, not module globals, to the controller."""
    outcome = yield
    if call.when == "teardown":
        outcome.get_result().user_properties.extend(("portmap figure", line) for line in REPORT)
        REPORT.clear()


def pytest_runtest_logreport(report) -> None:  # type: ignore[no-untyped-def]
    FIGURES.extend(str(value) for name, value in report.user_properties if name == "portmap figure")


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if FIGURES:
        terminalreporter.section("portmap figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
