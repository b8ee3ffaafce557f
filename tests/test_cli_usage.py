"""The command line as a new operator tries it: arguments bounded and explained, options in any
place, one output flag, devices by tag, exit codes, IPv6 agents, the shipped example, --version
and shell completion."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest

from portmap import main
from portmap.errors import InventoryError
from portmap.inventory.loader import load_inventory
from tests.conftest import inventory_file
from tests.helpers import TIMING, REPO, free_udp_ports, require_tools

pytestmark = TIMING


def portmap(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portmap", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO)


async def aportmap(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """portmap as a subprocess, waited for without blocking the event loop that serves the demo's agents."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "portmap", *args, cwd=REPO,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())


@pytest.mark.parametrize(("args", "error"), [
    (["top", "--interval", "nan"], "argument --interval: must be more than 0 and at most 3600, got 'nan'"),
    (["top", "--interval", "inf"], "argument --interval: must be more than 0 and at most 3600, got 'inf'"),
    (["live", "--interval", "1e9"], "argument --interval: must be more than 0 and at most 3600, got '1e9'"),
    (["top", "--interval", "abc"], "argument --interval: expected a number of seconds, got 'abc'"),
    (["top", "--limit", "0"], "argument --limit: must be at least 1 and at most 100000, got '0'"),
    (["live", "--limit", "-1"], "argument --limit: must be at least 1 and at most 100000, got '-1'"),
    (["top", "--limit", "2.5"], "argument --limit: expected a whole number of rows, got '2.5'"),
    (["demo", "--flood-after", "-1"], "argument --flood-after: must be at least 0 and at most 86400, got '-1'"),
    (["ui", "--tables-every", "0"], "argument --tables-every: must be more than 0 and at most 3600, got '0'"),
    (["demo", "--port-base", "80"], "argument --port-base: must be more than 1023 and at most 65531, got '80'"),
    (["run", "--listen", "localhost:70000"],
     "argument --listen: expected [HOST:]PORT (9117, 127.0.0.1:9117, [::1]:9117), got 'localhost:70000'"),
    (["incidents", "0"], "argument ID: must be at least 1 and at most 2147483647, got '0'"),
])
def test_every_number_is_bounded_and_its_error_says_which_and_why(args, error, capsys):
    with pytest.raises(SystemExit) as exit_:
        main.run(args)
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"error: {error}")


def test_a_metrics_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        inventory = tmp_path / "one.yaml"
        inventory.write_text("devices:\n  - {name: sw1, host: 127.0.0.1, port: 9, snmp: {version: 2c, community: public}}\n")
        inventory.chmod(0o600)
        done = subprocess.run([sys.executable, "-m", "portmap", "--inventory", str(inventory), "run", "--store", str(tmp_path / "h.sqlite"),
                               "--listen", str(port)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == f"portmap: cannot serve metrics on 127.0.0.1:{port}: Address already in use\n", done.stderr


def test_shared_options_mean_the_same_before_and_after_the_command():
    parser = main.build_parser()
    before = parser.parse_args(["--inventory", "i.yaml", "--state", "s.db", "--log-level", "debug", "top"])
    after = parser.parse_args(["top", "--inventory", "i.yaml", "--state", "s.db", "--log-level", "debug"])
    for name in ("inventory", "state", "log_level", "no_state"):
        assert getattr(before, name) == getattr(after, name), name
    assert parser.parse_args(["find", "--no-state", "x"]).no_state and parser.parse_args(["--no-state", "find", "x"]).no_state
    assert parser.parse_args(["top"]).inventory is None and parser.parse_args(["top"]).log_level == "warning"


async def test_one_output_flag_devices_by_tag_and_the_limit_with_json(demo_running, tmp_path):
    inventory = inventory_file(tmp_path / "demo.yaml", demo_running.devices.values())
    text = inventory.read_text().replace("role: [router]}", "role: [router], tags: [gateway]}")
    inventory.write_text(text)
    by_format, by_flag = await aportmap("map", "--inventory", str(inventory), "--format", "json"), await aportmap("map", "--json", "--inventory", str(inventory))
    assert by_format.returncode == 0 and json.loads(by_format.stdout) == json.loads(by_flag.stdout)
    check = await aportmap("inventory", "check", "--json", "--inventory", str(inventory), "--tag", "gateway")
    doc = json.loads(check.stdout)
    assert check.returncode == 0 and [d["device"] for d in doc["devices"]] == ["rtr1"] and doc["devices"][0]["ok"]
    assert doc["devices"][0]["sys_descr"] == "portmap demo router rtr1" and (doc["answered"], doc["total"]) == (1, 1)
    tagged = await aportmap("top", "--json", "--interval", "0.5", "--no-dns", "--inventory", str(inventory), "--tag", "gateway", "--device", "acc1")
    doc = json.loads(tagged.stdout)
    assert doc["devices_total"] == 2 and {p["device"] for p in doc["ports"]} == {"rtr1", "acc1"}
    limited = json.loads((await aportmap("top", "--json", "--limit", "3", "--interval", "0.5", "--no-dns", "--inventory", str(inventory))).stdout)
    assert len(limited["ports"]) == 3 and len(doc["ports"]) == 16
    unknown = await aportmap("top", "--inventory", str(inventory), "--tag", "nope")
    assert (unknown.returncode, unknown.stderr) == (2, "portmap: no device has tag nope (tags in the inventory: gateway)\n")
    tables = (await aportmap("tables", "--inventory", str(inventory), "--device", "acc1")).stdout.splitlines()
    assert tables[0] == "acc1: 14 interfaces, 13 FDB entries (q-bridge), 0 ARP entries, 1 neighbour"


async def test_map_names_the_devices_it_could_not_read(demo_running, tmp_path):
    dead_port, = free_udp_ports(1)
    inventory = inventory_file(tmp_path / "demo.yaml", demo_running.devices.values())
    inventory.write_text(inventory.read_text() + f"  - {{name: acc9, host: 127.0.0.1, port: {dead_port}, timeout_s: 0.3, retries: 0}}\n")
    result = await aportmap("map", "--inventory", str(inventory), "--format", "graphml")
    assert result.returncode == 1
    assert result.stderr == (f"x acc9: no answer: no response from 127.0.0.1:{dead_port} in 0.3s (1 try): agent down or unreachable, "
                             "or the community is wrong (asking 1.3.6.1.2.1.1.3.0): its links are missing from the map\n")
    doc = json.loads((await aportmap("map", "--json", "--inventory", str(inventory), "--device", "acc9", "--device", "acc1")).stdout)
    nodes = {node["id"]: node for node in doc["nodes"]}
    assert nodes["acc9"]["read"] == "no" and nodes["acc9"]["problem"].startswith("no answer: no response from")
    assert (nodes["acc1"]["read"], nodes["core1"]["read"]) == ("yes", "not asked")
    graph = nx.read_graphml(io.BytesIO(result.stdout.encode()))
    assert graph.nodes["acc9"]["read"] == "no" and graph.nodes["acc1"]["read"] == "yes"


def test_ipv6_agents_are_written_in_brackets_and_bad_hosts_fail_in_validation(tmp_path):
    port, = free_udp_ports(1)
    path = tmp_path / "v6.yaml"
    path.write_text("defaults: {snmp: {version: 2c, community: public}, timeout_s: 0.3, retries: 0}\n"
                    f"devices:\n  - {{name: v6, host: '[::1]', port: {port}}}\n  - {{name: v6b, host: '::1', port: {port}}}\n")
    devices = load_inventory(path).devices
    assert [(d.host, d.address) for d in devices] == [("::1", f"[::1]:{port}")] * 2
    result = portmap("inventory", "check", "--inventory", str(path), "--device", "v6")
    assert result.returncode == 1 and f"v6            [::1]:{port}" in result.stdout
    assert f"no response from [::1]:{port} in 0.3s (1 try)" in result.stdout
    for host, error in (("10.0.0.1:161", "'10.0.0.1:161' is not an IP address nor a host name (write the UDP port under port:)"),
                        ("sw 1", "'sw 1' is not an IP address nor a host name"), ("[sw1]", "'[sw1]' is not an IP address nor a host name")):
        path.write_text(f"devices:\n  - {{name: a, host: '{host}', snmp: {{version: 2c, community: public}}}}\n")
        with pytest.raises(InventoryError) as raised:
            load_inventory(path)
        assert str(raised.value) == f"{path}:2:21: devices[0].host: {error}"


def test_an_inventory_says_where_its_baselines_live_or_that_it_keeps_none(tmp_path, own_state_file):
    path = tmp_path / "site.yaml"
    path.write_text("state: site-baselines.sqlite\ndevices:\n  - {name: a, host: 192.0.2.1, snmp: {version: 2c, community: public}}\n")
    assert load_inventory(path).state == tmp_path / "site-baselines.sqlite"
    path.write_text("state: false\ndevices: []\n")
    assert load_inventory(path).state is None
    parser = main.build_parser()
    assert main._state(parser.parse_args(["top"]), load_inventory(path)) is None
    assert main._state(parser.parse_args(["top", "--state", "x.db"]), load_inventory(path)) == Path("x.db")
    assert main._state(parser.parse_args(["top"]), load_inventory(REPO / "inventory" / "demo.yaml")) is None
    path.write_text("state: [1]\ndevices: []\n")
    with pytest.raises(InventoryError, match=r"site.yaml:1:8: state: expected a single value, got a list"):
        load_inventory(path)


def test_version_and_shell_completion():
    require_tools("bash")
    version = portmap("--version")
    assert version.returncode == 0 and version.stdout.startswith("portmap 0.")
    # bash completes the commands and a command's options from the script portmap prints
    script = portmap("completion", "bash").stdout
    complete = ('source /dev/stdin; COMP_WORDS=(portmap "$WORD"); COMP_CWORD=1; COMP_LINE="portmap $WORD"; COMP_POINT=${#COMP_LINE}; '
                'f=$(complete -p portmap | sed -E "s/.* -F ([^ ]+) .*/\\1/"); $f portmap "$WORD" portmap; printf "%s\\n" "${COMPREPLY[@]}"')
    words = subprocess.run(["bash", "-c", complete], input=script, capture_output=True, text=True, timeout=30,
                           env={**os.environ, "WORD": "t"})
    assert set(words.stdout.split()) >= {"top", "tables"}, words.stdout + words.stderr
    assert portmap("completion", "zsh").stdout.startswith("#compdef portmap")


async def test_the_tui_exits_1_when_a_device_did_not_answer(demo_running, tmp_path):
    """As every command does: 0 all answered, 1 some did not (the TUI quit with q, in a real terminal)."""
    require_tools("tmux")
    dead_port, = free_udp_ports(1)
    inventory = inventory_file(tmp_path / "inv.yaml", [demo_running.devices["acc1"]])
    inventory.write_text(inventory.read_text() + f"  - {{name: acc9, host: 127.0.0.1, port: {dead_port}, timeout_s: 0.3, retries: 0}}\n")
    status = tmp_path / "status"
    server = f"portmap-exit-{os.getpid()}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", server, *args], capture_output=True, text=True, timeout=10).stdout

    command = (f"cd {REPO}; {sys.executable} -m portmap --no-state ui --inventory {inventory} --interval 1 --no-dns; "
               f"echo $? > {status}")
    tmux("new-session", "-d", "-s", "ui", "-x", "160", "-y", "40", command)
    try:
        deadline = time.monotonic() + 30
        while "1/2 devices answering" not in tmux("capture-pane", "-p", "-t", "ui") and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
        assert "1/2 devices answering" in tmux("capture-pane", "-p", "-t", "ui")
        tmux("send-keys", "-t", "ui", "q")
        while not status.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert status.read_text().strip() == "1"
    finally:
        tmux("kill-server")



@pytest.mark.parametrize(("args", "error"), [
    (["run", "--store", "h.sqlite", "--poller", "p1"],
     "--poller and --poller-group name pollers sharing a PostgreSQL store: --store postgresql://..."),
    (["run", "--store", "postgresql://portmap@/portmap", "--poller-group", "site-a,site-b"],
     "--poller-group: one device tag each, without commas (repeat the option for several)"),
])
def test_poller_options_outside_a_shared_store_or_with_a_list_are_one_line(args, error, tmp_path):
    inventory = tmp_path / "one.yaml"
    inventory.write_text("devices:\n  - {name: sw1, host: 127.0.0.1, port: 9, snmp: {version: 2c, community: public}}\n")
    inventory.chmod(0o600)
    done = subprocess.run([sys.executable, "-m", "portmap", "--inventory", str(inventory), *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"portmap: {error}\n")
