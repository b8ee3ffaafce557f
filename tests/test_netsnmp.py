"""Against a real net-snmp snmpd in a namespace the test makes: rates agree with the kernel's."""

from __future__ import annotations

import json
import sys
import time

import pytest

from tests.helpers import LAB, report

pytestmark = LAB

COMMUNITY = "pm-test-community"
PPS, SECONDS, PAYLOAD = 3000, 16.0, 100


def test_top_against_snmpd_agrees_with_kernel_counters(lab, tmp_path):
    switch = lab.namespace("sw")
    host = lab.namespace("h1")
    lab.cable(switch, "swp1", "192.0.2.1/24", host, "eth0", "192.0.2.10/24")
    lab.cable(switch, "swp2", None, lab.namespace("h2"), "eth0", None)
    lab.snmpd(switch, COMMUNITY)
    inventory = tmp_path / "lab.yaml"
    inventory.write_text(
        f"devices:\n  - name: labsw\n    host: 127.0.0.1\n    snmp: {{version: 2c, community: {COMMUNITY}}}\n"
    )

    sender = lab.send_udp(host, "192.0.2.1", PPS, SECONDS, PAYLOAD)
    time.sleep(3.0)  # past net-snmp's counter cache and the sender's start
    k_start = (time.monotonic(), lab.counter(switch, "swp1", "rx_packets"), lab.counter(switch, "swp1", "rx_bytes"))
    result = lab.exec(switch, sys.executable, "-m", "portmap", "top", "--inventory", str(inventory),
                      "--json", "--interval", "5", check=False)
    k_end = (time.monotonic(), lab.counter(switch, "swp1", "rx_packets"), lab.counter(switch, "swp1", "rx_bytes"))
    sender.wait(timeout=SECONDS + 10)
    assert result.returncode == 0, result.stderr

    doc = json.loads(result.stdout)
    ports = {p["if_name"]: p for p in doc["ports"]}
    assert {"lo", "swp1", "swp2"} <= set(ports)
    assert ports["swp1"]["oper_status"] == "up" and ports["swp1"]["rate_status"] == "ok"

    elapsed = k_end[0] - k_start[0]
    kernel_pps = (k_end[1] - k_start[1]) / elapsed
    kernel_bps = (k_end[2] - k_start[2]) * 8 / elapsed
    assert kernel_pps == pytest.approx(PPS, rel=0.15), "the sender did not keep its rate"
    assert ports["swp1"]["in_pps"] == pytest.approx(kernel_pps, rel=0.10)
    assert ports["swp1"]["in_bps"] == pytest.approx(kernel_bps, rel=0.10)
    assert ports["swp2"]["in_pps"] < 5
    report(f"snmpd in a namespace, swp1: portmap {ports['swp1']['in_pps']:.0f} pps / kernel {kernel_pps:.0f} pps; "
           f"portmap {ports['swp1']['in_bps']:.0f} b/s / kernel {kernel_bps:.0f} b/s")
