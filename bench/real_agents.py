"""Poller cost on real net-snmp agents, side by side with net-snmp's snmpbulkwalk and Prometheus'
snmp_exporter, in one run, v2c and SNMPv3 authPriv, idle and with traffic.

Usage (as root: it makes network namespaces):
    python bench/real_agents.py [--switches 10] [--ports 48] [--seconds 20] [--rounds 3]
Needs Debian's snmpd, snmp, iproute2 and prometheus-snmp-exporter.

Each switch is a namespace with SWITCHES x PORTS veth ports (their far ends in a host namespace
of its own) and its own snmpd, reached over a management veth. With traffic, 8 ports of every
switch receive bounded UDP (100 datagrams/s each, never past the measurement). What each
poller costs is the CPU of its own process(es) only: portmap's poll loop (in this process,
polling every second, as `portmap live --interval 1` does, after a warm-up in which it learns
each agent's counter cache), snmpbulkwalk of ifTable and ifXTable per switch (process start
included), snmp_exporter answering /snmp?module=if_mib per switch (an if_mib-shaped module
written here). Varbinds are counted by the agents themselves (snmpInTotalReqVars).

The pollers take turns in rounds (portmap, snmpbulkwalk, snmp_exporter; --rounds), so that the
machine's slow swings reach each of them alike: the table shows each poller's median round, the
last line (machine-readable) the median and the highest of portmap's per-round ratio to
snmpbulkwalk.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portmap.engine.poller import Engine  # noqa: E402
from portmap.inventory.model import Device, Secret, SnmpSettings  # noqa: E402
from portmap.snmp.session import SnmpClient  # noqa: E402
from tests.netns import Lab  # noqa: E402
from poll import children_cpu, cpu_of, own_cpu  # noqa: E402  (bench/poll.py, beside this script)

COMMUNITY = "bench-community"
USER, AUTH, PRIV = "bench", "bench-auth-pass", "bench-priv-pass"
V3_NETSNMP = ["-v3", "-l", "authPriv", "-u", USER, "-a", "SHA", "-A", AUTH, "-x", "AES", "-X", PRIV]
BUSY_PORTS, BUSY_PPS = 8, 100
EXPORTER_PORT = 39116
TOTAL_REQ_VARS = (1, 3, 6, 1, 2, 1, 11, 13, 0)
"""SNMPv2-MIB snmpInTotalReqVars.0: the objects an agent has read for its requests."""
COUNTER_TABLES = ("1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1")


def management(n: int) -> tuple[str, str]:
    """The root side's and the switch's addresses of switch n's management veth."""
    return f"172.31.{n}.1/30", f"172.31.{n}.2"


def build(lab: Lab, switches: int, ports: int) -> list[tuple[str, str, str]]:
    """The switches: (switch namespace, its host namespace, its agent's address)."""
    built = []
    for n in range(switches):
        switch, hosts = lab.namespace(f"s{n}"), lab.namespace(f"h{n}")
        for port in range(1, ports + 1):
            lab.cable(switch, f"swp{port}", f"192.168.{port}.1/24", hosts, f"hp{port}", f"192.168.{port}.2/24")
        root_cidr, agent = management(n)
        lab.management_link(switch, root_cidr, f"{agent}/30")
        users = f"createUser {USER} SHA \"{AUTH}\" AES \"{PRIV}\"\nrouser {USER} priv\n"
        lab.snmpd(switch, COMMUNITY, agent, root_cidr.replace(".1/30", ".0/30"), None, users)
        built.append((switch, hosts, agent))
    return built


def devices(built: list[tuple[str, str, str]], v3: bool) -> list[Device]:
    snmp = (SnmpSettings("3", user=USER, security_level="authPriv", auth_protocol="sha", auth_password=Secret(AUTH),
                         priv_protocol="aes128", priv_password=Secret(PRIV)) if v3 else SnmpSettings("2c", Secret(COMMUNITY)))
    return [Device(f"sw{n}", agent, 161, frozenset({"switch"}), snmp, 2.0, 1) for n, (_, _, agent) in enumerate(built)]


async def request_vars(client: SnmpClient, agents: list[Device]) -> int:
    """What every agent has answered so far, by its own count (v2c, one varbind each)."""
    total = 0
    for device in agents:
        answer = await client.session(replace(device, snmp=SnmpSettings("2c", Secret(COMMUNITY)))).get([TOTAL_REQ_VARS])
        total += int(answer[TOTAL_REQ_VARS]) - 1  # less this very read
    return total


Cost = tuple[float, int]
"""CPU seconds of a poller's own process(es), and the varbinds the agents answered it."""


class PortmapPoller:
    """portmap's engine polling every second, kept from round to round: between its turns it
    pauses while the others poll the same agents, as a poller does when a device stops answering
    for a while (net-snmp's reloads move meanwhile: the next turn shows what following them costs)."""

    def __init__(self, agents: list[Device]) -> None:
        self.agents = agents
        self.client, self.counted = SnmpClient(), SnmpClient()
        self.engine = Engine(agents, self.client)

    async def poll_for(self, seconds: float) -> int:
        """Polls made in `seconds`, one a second at most, none failed."""
        polls, started = 0, time.monotonic()
        while time.monotonic() - started < seconds:
            snapshot = await self.engine.poll()
            assert not snapshot.failed, [d.error for d in snapshot.failed]
            polls += 1
            await asyncio.sleep(max(0.0, started + polls - time.monotonic()))
        return polls

    async def measured(self, seconds: float) -> tuple[Cost, int]:
        """What polling for `seconds` cost, and the polls made."""
        vars_before, cpu_before = await request_vars(self.counted, self.agents), own_cpu()
        polls = await self.poll_for(seconds)
        cpu = own_cpu() - cpu_before
        return (cpu, await request_vars(self.counted, self.agents) - vars_before), polls

    def close(self) -> None:
        self.engine.close()
        self.client.close()
        self.counted.close()


async def case_rounds(agents: list[Device], exporter: subprocess.Popen[bytes], v3: bool, args: argparse.Namespace
                      ) -> list[tuple[dict[str, Cost], int]]:
    """Each round: portmap polls for args.seconds, then snmpbulkwalk and snmp_exporter read every
    switch as many times; (each poller's cost, the polls) per round."""
    portmap = PortmapPoller(agents)
    rounds = []
    try:
        await portmap.poll_for(args.warm_up)
        for _ in range(args.rounds):
            cost, polls = await portmap.measured(args.seconds)
            rounds.append(({"portmap": cost,
                            "snmpbulkwalk": await asyncio.to_thread(netsnmp_cost, agents, polls, v3),
                            "snmp_exporter": await asyncio.to_thread(exporter_cost, exporter, agents, polls, v3)}, polls))
    finally:
        portmap.close()
    return rounds


def netsnmp_cost(agents: list[Device], cycles: int, v3: bool) -> Cost:
    vars_before, cpu_before = asyncio.run(_vars(agents)), children_cpu()
    for _ in range(cycles):
        for device in agents:
            security = V3_NETSNMP if v3 else ["-v2c", "-c", COMMUNITY]
            for table in COUNTER_TABLES:
                subprocess.run(["snmpbulkwalk", *security, "-Cr25", "-On", "-Oq", device.host, table],
                               capture_output=True, text=True, check=True)
    return children_cpu() - cpu_before, asyncio.run(_vars(agents)) - vars_before


def exporter_config(path: Path) -> None:
    """An if_mib-shaped module for both versions: the counters, statuses and speeds of ifTable and
    ifXTable, each labelled with ifIndex and ifName, as snmp_exporter's generator writes it."""
    lookup = [{"labels": ["ifIndex"], "labelname": "ifName", "oid": "1.3.6.1.2.1.31.1.1.1.1", "type": "DisplayString"}]
    columns = {"ifInDiscards": ("1.3.6.1.2.1.2.2.1.13", "counter"), "ifInErrors": ("1.3.6.1.2.1.2.2.1.14", "counter"),
               "ifOutDiscards": ("1.3.6.1.2.1.2.2.1.19", "counter"), "ifOutErrors": ("1.3.6.1.2.1.2.2.1.20", "counter"),
               "ifAdminStatus": ("1.3.6.1.2.1.2.2.1.7", "gauge"), "ifOperStatus": ("1.3.6.1.2.1.2.2.1.8", "gauge"),
               "ifHCInOctets": ("1.3.6.1.2.1.31.1.1.1.6", "counter"), "ifHCOutOctets": ("1.3.6.1.2.1.31.1.1.1.10", "counter"),
               "ifHCInUcastPkts": ("1.3.6.1.2.1.31.1.1.1.7", "counter"), "ifHCOutUcastPkts": ("1.3.6.1.2.1.31.1.1.1.11", "counter"),
               "ifHCInMulticastPkts": ("1.3.6.1.2.1.31.1.1.1.8", "counter"),
               "ifHCOutMulticastPkts": ("1.3.6.1.2.1.31.1.1.1.12", "counter"),
               "ifHCInBroadcastPkts": ("1.3.6.1.2.1.31.1.1.1.9", "counter"),
               "ifHCOutBroadcastPkts": ("1.3.6.1.2.1.31.1.1.1.13", "counter"), "ifHighSpeed": ("1.3.6.1.2.1.31.1.1.1.15", "gauge")}
    metrics = [{"name": name, "oid": oid, "type": kind, "help": name,
                "indexes": [{"labelname": "ifIndex", "type": "gauge"}], "lookups": lookup} for name, (oid, kind) in columns.items()]
    module = {"walk": list(COUNTER_TABLES), "metrics": metrics, "max_repetitions": 25, "retries": 1, "timeout": "5s"}
    v3_auth = {"username": USER, "security_level": "authPriv", "password": AUTH, "auth_protocol": "SHA",
               "priv_protocol": "AES", "priv_password": PRIV}
    path.write_text(yaml.safe_dump({"if_mib": {**module, "version": 2, "auth": {"community": COMMUNITY}},
                                    "if_mib_v3": {**module, "version": 3, "auth": v3_auth}}))


def exporter_cost(exporter: subprocess.Popen[bytes], agents: list[Device], cycles: int, v3: bool) -> Cost:
    module = "if_mib_v3" if v3 else "if_mib"
    vars_before, cpu_before = asyncio.run(_vars(agents)), cpu_of([exporter.pid])
    for _ in range(cycles):
        for device in agents:
            url = f"http://127.0.0.1:{EXPORTER_PORT}/snmp?module={module}&target={device.host}"
            with urllib.request.urlopen(url, timeout=30) as answer:
                assert b"ifHCInOctets{" in answer.read()
    return cpu_of([exporter.pid]) - cpu_before, asyncio.run(_vars(agents)) - vars_before


async def _vars(agents: list[Device]) -> int:
    client = SnmpClient()
    try:
        return await request_vars(client, agents)
    finally:
        client.close()


def start_exporter(folder: Path) -> subprocess.Popen[bytes]:
    config = folder / "snmp.yml"
    exporter_config(config)
    exporter = subprocess.Popen(["prometheus-snmp-exporter", f"--config.file={config}",
                                 f"--web.listen-address=127.0.0.1:{EXPORTER_PORT}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{EXPORTER_PORT}/", timeout=1).close()
            return exporter
        except OSError:
            time.sleep(0.2)
    raise SystemExit("snmp_exporter did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=10)
    parser.add_argument("--ports", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=20.0, help="portmap's measured polling per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per case: each poller's median is shown")
    parser.add_argument("--warm-up", type=float, default=30.0,
                        help="portmap's polling before it is measured: enough to learn net-snmp's reloads (3 s) on an idle agent")
    parser.add_argument("--snmp", nargs="+", choices=("v2c", "v3"), default=["v2c", "v3"])
    parser.add_argument("--traffic", nargs="+", choices=("idle", "busy"), default=["idle", "busy"])
    args = parser.parse_args()
    missing = [tool for tool in ("ip", "snmpd", "snmpbulkwalk", "prometheus-snmp-exporter") if not shutil.which(tool)]
    if os.geteuid() != 0 or missing:
        raise SystemExit(f"needs root and {', '.join(missing) or 'nothing more'} "
                         "(Debian: apt-get install snmpd snmp iproute2 prometheus-snmp-exporter)")
    folder = Path(tempfile.mkdtemp(prefix="portmap-bench-"))
    lab = Lab(folder)
    exporter = None
    rows, figures = [], []
    try:
        built = build(lab, args.switches, args.ports)
        exporter = start_exporter(folder)
        for v3 in [version == "v3" for version in args.snmp]:
            agents = devices(built, v3)
            for busy in [traffic == "busy" for traffic in args.traffic]:
                targets = ",".join(f"192.168.{port}.1" for port in range(1, BUSY_PORTS + 1))
                senders = [lab.send_udp(hosts, targets, BUSY_PPS, args.warm_up + args.rounds * 4 * args.seconds + 30, 200)
                           for _, hosts, _ in built] if busy else []
                rounds = asyncio.run(case_rounds(agents, exporter, v3, args))
                for sender in senders:
                    sender.terminate()
                case = f"{'v3 authPriv' if v3 else 'v2c'}, {'busy' if busy else 'idle'}"
                per_poll = {poller: [cost[poller][0] * 1000 / (polls * len(agents)) for cost, polls in rounds] for poller in rounds[0][0]}
                for poller, costs in per_poll.items():
                    varbinds = statistics.median(cost[poller][1] / (polls * len(agents)) for cost, polls in rounds)
                    per_kvb = statistics.median(cost[poller][0] * 1e6 / max(cost[poller][1], 1) for cost, _ in rounds)
                    rows.append(f"| {poller} | {case} | {statistics.median(costs):.1f} ms | {varbinds:.0f} | {per_kvb:.1f} ms |")
                ratios = [ours / reference for ours, reference in zip(per_poll["portmap"], per_poll["snmpbulkwalk"])]
                name = f"{'v3' if v3 else 'v2c'}_{'busy' if busy else 'idle'}"
                figures.append(f"{name}_ratio={statistics.median(ratios):.2f} {name}_ratio_max={max(ratios):.2f}")
                asked = [cost["portmap"][1] / (polls * len(agents)) for cost, polls in rounds]
                print(f"{case}: {len(rounds)} rounds of {', '.join(str(polls) for _, polls in rounds)} polls of {len(agents)} "
                      f"switches; portmap/snmpbulkwalk by round {', '.join(f'{ratio:.2f}' for ratio in ratios)}; portmap's "
                      f"varbinds per switch poll by round {', '.join(f'{varbinds:.0f}' for varbinds in asked)}", flush=True)
    finally:
        if exporter is not None:
            exporter.terminate()
        lab.close()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.switches} net-snmp agents x {args.ports} veth ports; CPU of each poller's own process(es)")
    print("| poller | case | CPU per switch poll | varbinds per switch poll | CPU per 1,000 varbinds |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"switches={args.switches} ports={args.ports} " + " ".join(figures))


if __name__ == "__main__":
    main()
