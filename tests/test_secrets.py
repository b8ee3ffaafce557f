"""Communities and v3 keys never show: not in output, JSON, debug logs, errors, reprs, the baselines or the history store."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace

from portmap.demo.lab import SimulatedNetwork
from portmap.inventory import load_inventory
from tests.conftest import scenario_network
from tests.helpers import REPO, free_udp_ports, portmap_run_for

MARKERS = {
    "community": "PMSECRET-community-5d1e",
    "wrong_community": "PMSECRET-wrongcomm-8a2b",
    "auth": "PMSECRET-auth-77c0",
    "priv": "PMSECRET-priv-41f9",
    "wrong_auth": "PMSECRET-wrongauth-0b3d",
    "env_priv": "PMSECRET-envpriv-6e6e",
}


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "portmap", *args, cwd=REPO, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode() + err.decode()


async def test_no_secret_appears_anywhere(tmp_path):
    network = scenario_network(flood_after_s=3600)
    acc1 = replace(network.device("acc1"), community=MARKERS["community"])
    v3sw = replace(network.device("v3sw"), v3_auth_password=MARKERS["auth"], v3_priv_password=MARKERS["env_priv"])
    network = replace(network, devices=tuple({"acc1": acc1, "v3sw": v3sw}.get(d.name, d) for d in network.devices))
    silent, = free_udp_ports(1)
    inventory = tmp_path / "secret.yaml"
    inventory.write_text(f"""\
defaults: {{timeout_s: 0.5, retries: 0}}
devices:
  - {{name: acc1, host: 127.0.0.1, port: {acc1.agent_port}, snmp: {{version: 2c, community: {MARKERS['community']}}}}}
  - {{name: wrongcomm, host: 127.0.0.1, port: {acc1.agent_port}, snmp: {{version: 2c, community: {MARKERS['wrong_community']}}}}}
  - name: v3sw
    host: 127.0.0.1
    port: {v3sw.agent_port}
    snmp: {{version: 3, user: {v3sw.v3_user}, auth_protocol: sha256, auth_password: {MARKERS['auth']},
           priv_protocol: aes128, priv_password: '${{PM_TEST_PRIV}}'}}
  - name: v3wrong
    host: 127.0.0.1
    port: {v3sw.agent_port}
    snmp: {{version: 3, user: {v3sw.v3_user}, auth_protocol: sha256, auth_password: {MARKERS['wrong_auth']},
           priv_protocol: aes128, priv_password: {MARKERS['priv']}}}
  - {{name: silent, host: 127.0.0.1, port: {silent}, snmp: {{version: 2c, community: {MARKERS['community']}}}}}
""")
    inventory.chmod(0o600)
    env = {"PM_TEST_PRIV": MARKERS["env_priv"]}
    simulator = SimulatedNetwork(network)
    simulator.start()
    try:
        outputs = [
            await run_cli("--log-level", "debug", "--inventory", str(inventory), "top", "--json", "--interval", "1", env=env),
            await run_cli("--log-level", "debug", "--inventory", str(inventory), "top", "--interval", "1", env=env),
            await run_cli("--log-level", "debug", "--inventory", str(inventory), "inventory", "check", env=env),
        ]
        # it keeps history in the test's own store; its first tables wait on the silent devices' timeouts
        _, run = await portmap_run_for(6, "--log-level", "debug", "--inventory", str(inventory), "run", "--interval", "1",
                                       "--tables-every", "1", env=env)
    finally:
        simulator.stop()
    assert "DEBUG" in run and not [name for name, marker in MARKERS.items() if marker in run], run
    kept = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.name.startswith(("portmap-history", "portmap-state")))
    assert b"52:54:00:12:34:56" in kept, run[-3000:]  # web1's sighting: the store was written
    assert not [name for name, marker in MARKERS.items() if marker.encode() in kept]
    for code, text in outputs:
        assert code == 1, text  # wrongcomm, v3wrong and silent do not answer
        assert "DEBUG" in text and "acc1" in text and "v3sw" in text
        leaked = [name for name, marker in MARKERS.items() if marker in text]
        assert leaked == [], f"secrets shown: {leaked}"
    assert "authentication failed" in outputs[0][1]

    loaded = load_inventory(inventory, environ=env)
    everything = repr(loaded) + str(loaded) + "".join(repr(d.snmp) + str(d) for d in loaded.devices)
    assert not [name for name, marker in MARKERS.items() if marker in everything]


def test_plain_secrets_in_a_file_others_can_read_warn_once(tmp_path):
    import subprocess

    inventory = tmp_path / "inv.yaml"
    inventory.write_text(
        "defaults: {snmp: {version: 2c, community: s3cret-community}, timeout_s: 0.2, retries: 0}\n"
        "devices:\n  - {name: a, host: 127.0.0.1, port: 9}\n  - {name: b, host: 127.0.0.1, port: 9}\n"
    )

    def warnings_for(mode: int) -> list[str]:
        inventory.chmod(mode)
        result = subprocess.run([sys.executable, "-m", "portmap", "--inventory", str(inventory), "inventory", "check"],
                                capture_output=True, text=True, timeout=60, cwd=REPO)
        return [line for line in result.stderr.splitlines() if "WARNING" in line]

    shared = warnings_for(0o644)
    assert shared == [
        f"portmap: WARNING: {inventory} holds SNMP secrets in plain text and other users can read it: "
        "chmod 600 it, or write the secrets as ${ENV_VAR}"
    ]
    assert warnings_for(0o600) == []
    inventory.write_text(inventory.read_text().replace("s3cret-community", "${PM_UNUSED_SECRET}"))
    os.environ["PM_UNUSED_SECRET"] = "x-secret"
    try:
        assert warnings_for(0o644) == []
    finally:
        del os.environ["PM_UNUSED_SECRET"]
