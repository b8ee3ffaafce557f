"""Agent text never drives the operator's terminal: acc1 answers sysName, sysDescr, port 5's
ifName and ifAlias and its LLDP neighbours' names with ESC/OSC sequences, CR/LF, a bidi
override, a zero-width space, DEL and C1 bytes, wide characters and 3,000 characters of
padding. Every text face shows it escaped and capped; the JSON keeps it exact."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from portmap.core.snapshot import Frame
from portmap.demo.inventory import demo_inventory
from portmap.demo.lab import SimulatedNetwork
from portmap.demo.mib import HOSTILE_TEXT
from portmap.demo.network import AgentFault
from portmap.engine.watch import WatchSettings, watch
from portmap.present.text import MAX_SHOWN
from portmap.tui.views import Layout, History, PortView, hosts_lines
from tests.conftest import demo_with, inventory_file
from tests.helpers import REPO

RAW = ("\x1b", "\x07", "\r", "\x7f", "\x9b", "\u202e", "\u200b")
"""What must never reach a terminal from an agent."""


@pytest.fixture
async def hostile(tmp_path):
    network = demo_with({"acc1": {"faults": (AgentFault.HOSTILE_TEXT,)}})
    simulator = SimulatedNetwork(network)
    simulator.start()
    yield network, inventory_file(tmp_path / "hostile.yaml", demo_inventory(network).devices)
    simulator.stop()


async def portmap(inventory, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portmap", "--no-state", "--inventory", str(inventory), *args, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode in (0, 1), err.decode()
    return out.decode()


def assert_safe(face: str, output: str) -> None:
    raw = [c for c in RAW if c in output.replace("\n", "")]
    assert not raw, f"{face} drew {raw!r}"
    assert "\\x1b" in output, f"{face} shows the agent's text escaped"
    longest = max(len(line) for line in output.splitlines())
    assert longest < 4 * MAX_SHOWN + 200, f"{face}: a line of {longest} characters"


async def test_every_text_face_escapes_and_caps_agent_text(hostile):
    _, inventory = hostile
    assert_safe("top", await portmap(inventory, "top", "--interval", "1", "--no-dns", "--limit", "40"))
    assert_safe("tables", await portmap(inventory, "tables"))
    assert_safe("find", await portmap(inventory, "find", "52:54:00:12:34:56", "--no-dns"))
    assert_safe("inventory check", await portmap(inventory, "inventory", "check"))
    document = json.loads(await portmap(inventory, "top", "--interval", "1", "--no-dns", "--json"))
    assert HOSTILE_TEXT in [port["alias"] for port in document["ports"]], "the JSON keeps the exact value"


async def test_the_tuis_rows_and_details_escape_agent_text(hostile):
    network, _ = hostile
    frames: list[Frame] = []
    await watch(demo_inventory(network).devices, WatchSettings(1.0), frames.append, rounds=2)
    frame = frames[-1]
    rows, _ = PortView(frame).rows(History(), "rank")
    layout = Layout()
    text = "\n".join(layout.line(row.cells) for row in rows) + "\n" + "\n".join(hosts_lines(frame, ("acc1", 5), lambda mac: None))
    assert_safe("the TUI", text)
