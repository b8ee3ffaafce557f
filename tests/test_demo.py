"""The demo network end to end: quiet first, then web1's flood ranked first and flagged."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time

import yaml

from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.engine.poller import Engine
from portmap.snmp.session import SnmpClient
from portmap.present.reasons import reason
from tests.helpers import TIMING, REPO, free_udp_ports
from tests.conftest import scenario_network

pytestmark = TIMING

FLOOD_AFTER_S = 7.0


async def test_nothing_flagged_before_the_flood_and_web1_first_during_it():
    network = scenario_network(flood_after_s=FLOOD_AFTER_S)
    simulator = SimulatedNetwork(network)
    simulator.start()
    client = SnmpClient()
    engine = Engine(demo_inventory(network).devices, client)
    try:
        quiet = []
        for _ in range(3):
            quiet.append(await engine.poll())
            await asyncio.sleep(1.0)
        assert simulator.model.elapsed() < FLOOD_AFTER_S, "the quiet phase took too long to measure"
        await asyncio.sleep(FLOOD_AFTER_S - simulator.model.elapsed() + 0.5)
        await engine.poll()
        await asyncio.sleep(1.5)
        during = await engine.poll()
    finally:
        client.close()
        simulator.stop()
    for snapshot in quiet[1:]:
        assert not [p for p in snapshot.ports if p.flagged], "a port was flagged in the quiet phase"
    first = during.ports[0]
    assert (first.rates.device, first.rates.if_index) == ("acc1", 5)
    assert during.interfaces[("acc1", 5)].alias == "web1"
    assert 36_000 < first.flags[0].rate < 44_000, "web1 floods at 40k pps"
    assert reason(first.flags[0]).startswith("sending ") and "small-packet flood" in reason(first.flags[0])
    carriers = {p.key for p in during.ports if p.same_incident_as == ("acc1", 5)}
    assert carriers == {("acc1", 101), ("core1", 101), ("core1", 104), ("rtr1", 1), ("rtr1", 2)}
    assert not [p for p in during.ports if p.flagged and p.same_incident_as is None and p is not first]


def portmap(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portmap", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO)


def test_cli_demo_and_top_json_as_a_user_runs_them(tmp_path, own_state_file):
    """`portmap demo --no-ui` serves inventory/demo.yaml's ports; `portmap top --json` reads them.
    A second demo is refused in one line; `top --fail-on-flag` exits 3 during the flood only; the
    demo's devices leave no baselines in the state file a real network's core1 would read."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "portmap", "demo", "--no-ui", "--flood-after", "6", "--duration", "40"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )
    try:
        assert demo.stdout is not None
        started = time.monotonic()
        banner = [demo.stdout.readline() for _ in range(5)]
        assert banner[0].startswith("serving core1 on udp 127.0.0.1:16161"), banner
        second = portmap("demo", "--no-ui", "--flood-after", "0", "--duration", "5")
        assert (second.returncode, second.stdout) == (2, "") and second.stderr == (
            "portmap: cannot serve the demo on udp 127.0.0.1:16161-16164: Address already in use (another portmap demo "
            "running? --port-base PORT serves it on other ports)\n")
        quiet = portmap("top", "--inventory", "inventory/demo.yaml", "--json", "--interval", "2", "--fail-on-flag")
        assert quiet.returncode == 0, quiet.stderr
        quiet_doc = json.loads(quiet.stdout)
        assert quiet_doc["unreachable"] == []
        assert not [p for p in quiet_doc["ports"] if p["flagged"]]
        time.sleep(max(0.0, 6 + 1.5 - (time.monotonic() - started)))
        flood = portmap("top", "--inventory", "inventory/demo.yaml", "--json", "--interval", "2", "--fail-on-flag")
        assert flood.returncode == 3, flood.stderr
        doc = json.loads(flood.stdout)
        top = doc["ports"][0]
        assert (top["device"], top["if_name"], top["alias"]) == ("acc1", "Gi1/0/5", "web1")
        assert top["flagged"] and top["in_pps"] > 30_000 and top["in_avg_pkt_bytes"] < 100
        assert top["reasons"][0].startswith("10.0.0.21 (52:54:00:12:34:56) is sending ") and "small-packet flood" in top["reasons"][0]
        evidence = top["evidence"][0]  # the reason's facts as data: a script never parses the sentence
        assert (evidence["kind"], evidence["direction"], evidence["metric"]) == ("small-packet flood", "in", "pps")
        assert abs(evidence["value"] - top["in_pps"]) < 1 and evidence["avg_pkt_bytes"] < 100 and evidence["since"] == top["since"]
        said = re.search(r", (\d+)x (its normal|the typical port)", top["reasons"][0])
        if evidence["reference"] is None:  # most ports idle: the typical port sends nothing, no ratio to say
            assert said is None and evidence["ratio"] is None
        else:
            assert said is not None and evidence["ratio"] >= 10 and abs(int(said.group(1)) - evidence["ratio"]) <= 0.5
        assert top["hosts"] == [{"mac": "52:54:00:12:34:56", "ips": ["10.0.0.21"], "name": None, "vendor": None, "vlan": 1}]
        assert top["neighbor"] is None
        uplink = next(p for p in doc["ports"] if (p["device"], p["if_name"]) == ("acc1", "Te1/1/1"))
        assert uplink["hosts"] == [] and uplink["neighbor"] == {"device": "core1", "port": "Te1/1/1"}
        assert 1.5 < doc["interval_s"] < 3.5
        # the operator has said web1's port may carry 100k pps: its own threshold outranks the global one
        tuned = tmp_path / "tuned.yaml"
        document = yaml.safe_load((REPO / "inventory" / "demo.yaml").read_text())
        next(d for d in document["devices"] if d["name"] == "acc1")["spikes"] = {"ports": {"Gi1/0/5": {"min_flood_pps": 100_000}}}
        tuned.write_text(yaml.safe_dump(document))
        tuned.chmod(0o600)
        calm = json.loads(portmap("--no-state", "top", "--inventory", str(tuned), "--json", "--interval", "2").stdout)
        web1 = next(p for p in calm["ports"] if (p["device"], p["if_name"]) == ("acc1", "Gi1/0/5"))
        assert web1["in_pps"] > 30_000 and not web1["flagged"]
        check = portmap("inventory", "check", "--inventory", "inventory/demo.yaml")
        assert check.returncode == 0, check.stdout + check.stderr
        rows = {line.split()[0]: line for line in check.stdout.splitlines()[1:-1]}
        assert set(rows) == {"core1", "acc1", "acc2", "rtr1"}
        assert rows["acc1"].split()[1:3] == ["127.0.0.1:16162", "acc1"] and rows["acc1"].split()[4] == "14"
        assert rows["rtr1"].endswith("ok: portmap demo router rtr1")
        assert check.stdout.splitlines()[-1] == "4/4 devices answered"
        table = portmap("top", "--inventory", "inventory/demo.yaml", "--interval", "1", "--limit", "5")
        assert table.returncode == 0
        lines = table.stdout.splitlines()
        assert lines[0].split()[:3] == ["DEVICE", "PORT", "ALIAS"]
        assert lines[1].startswith("!acc1") and "Gi1/0/5" in lines[1] and "web1" in lines[1]
        assert any(line.startswith("! acc1 Gi1/0/5 (web1): 10.0.0.21 (52:54:00:12:34:56) is sending") for line in lines)
        assert not own_state_file.exists(), "inventory/demo.yaml says state: false"
    finally:
        # SIGTERM, not SIGINT: a shell that starts the tests in the background hands its children
        # SIGINT ignored, as it should (Ctrl-C is the foreground job's), and the demo ran its 40 s
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=10) == 128 + signal.SIGTERM


def test_top_lists_every_device_that_did_not_answer_and_exits_1(tmp_path):
    silent_port, = free_udp_ports(1)
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        "defaults: {snmp: {version: 2c, community: public}, timeout_s: 0.3, retries: 0}\n"
        f"devices:\n  - {{name: nobody, host: 127.0.0.1, port: {silent_port}}}\n"
    )
    result = portmap("top", "--inventory", str(inventory), "--json", "--interval", "0.5")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["ports"] == []
    assert [u["device"] for u in doc["unreachable"]] == ["nobody"]
    assert "no response from 127.0.0.1" in doc["unreachable"][0]["error"]
    text = portmap("top", "--inventory", str(inventory), "--interval", "0.5")
    assert text.returncode == 1 and "NOT ANSWERING (1):" in text.stdout and "x nobody: no answer: no response" in text.stdout
    assert "Traceback" not in text.stderr + result.stderr


def test_unknown_device_name_is_a_usage_error(tmp_path):
    result = portmap("top", "--inventory", "inventory/demo.yaml", "--device", "nosuch")
    assert result.returncode == 2
    assert result.stderr.strip() == "portmap: no device named nosuch in the inventory (known: acc1, acc2, core1, rtr1)"


