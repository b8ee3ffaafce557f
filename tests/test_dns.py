"""Reverse DNS names for hosts: bounded in time, cached, from the system resolver, off with --no-dns."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import threading
import time

from portmap.engine.dns import ReverseDns
from tests.helpers import TIMING, REPO, require, require_root

pytestmark = TIMING

WEB1_IP, WEB1_NAME = "10.0.0.21", "www-prod.lab.example"
"""A name that is in no port alias of the demo: only reverse DNS can find web1 by it."""


async def test_a_resolver_that_hangs_costs_one_wait_and_the_others_still_get_their_names():
    asked: list[str] = []
    release = threading.Event()

    def resolve(ip: str) -> str | None:
        asked.append(ip)
        if ip == "192.0.2.9":
            release.wait(10)  # a resolver that does not answer until the test lets it
            return "late.example"
        if ip.startswith("198.51.100."):
            time.sleep(0.05)  # a slow DNS server: 200 of these, 16 at a time, take 0.65 s in all
        return {"192.0.2.1": "one.example", "192.0.2.2": "two.example"}.get(ip)

    dns = ReverseDns(timeout_s=0.3, resolve=resolve)
    ips = ["192.0.2.1", "192.0.2.2", "192.0.2.9", "192.0.2.3"]
    started = time.monotonic()
    assert await dns.names(ips) == {"192.0.2.1": "one.example", "192.0.2.2": "two.example"}
    assert time.monotonic() - started < 1.0
    many = [f"198.51.100.{i}" for i in range(1, 201)]
    started = time.monotonic()
    await dns.names(many)
    assert time.monotonic() - started < 0.5, "a call waits one timeout, not one per name"
    release.set()
    await asyncio.sleep(1.0)  # the lookups still running finish, and are remembered
    again = await dns.names(ips)
    assert {ip: again[ip] for ip in ("192.0.2.1", "192.0.2.2")} == {"192.0.2.1": "one.example", "192.0.2.2": "two.example"}
    assert sorted(ip for ip in asked if ip.startswith("192.0.2.")) == sorted(ips), "answers, names or not, are not asked again"


async def test_find_and_top_name_the_host_from_the_system_resolver(demo_running, tmp_path):
    """The hosts file is the system resolver's first source: bind-mounted over /etc/hosts in a mount
    namespace of the command alone, it names web1 as a DNS server would."""
    require_root()
    require(shutil.which("unshare") is not None, "needs unshare (util-linux)")
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n{WEB1_IP} {WEB1_NAME}\n")
    inventory = tmp_path / "demo.yaml"
    inventory.write_text("defaults: {snmp: {version: 2c, community: public}, timeout_s: 1}\ndevices:\n" + "".join(
        f"  - {{name: {d.name}, host: 127.0.0.1, port: {d.port}, role: {sorted(d.roles)[0]}}}\n" for d in demo_running.devices.values()
    ))

    async def portmap(*args: str) -> tuple[int, str]:
        command = f'mount --bind "{hosts}" /etc/hosts && exec "$0" -m portmap --inventory "{inventory}" "$@"'
        process = await asyncio.create_subprocess_exec(
            "unshare", "--mount", "sh", "-c", command, sys.executable, *args, cwd=REPO,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert b"Traceback" not in err, err.decode()
        return process.returncode or 0, out.decode()

    code, out = await portmap("find", WEB1_NAME, "--json")
    assert code == 0, out
    (host,) = json.loads(out)["found"]
    assert (host["name"], host["switch"], host["port"], host["ips"]) == (WEB1_NAME, "acc1", "Gi1/0/5", [WEB1_IP])
    code, out = await portmap("find", "www-prod", "--json")  # the first label alone
    assert code == 0 and json.loads(out)["found"][0]["name"] == WEB1_NAME

    code, out = await portmap("find", WEB1_NAME, "--no-dns")
    assert code == 1 and out == f"{WEB1_NAME}: names no host, port or port description read (4 devices)\n", out

    code, out = await portmap("top", "--interval", "1", "--json")
    web1_port = next(p for p in json.loads(out)["ports"] if (p["device"], p["if_name"]) == ("acc1", "Gi1/0/5"))
    assert [h["name"] for h in web1_port["hosts"]] == [WEB1_NAME]
