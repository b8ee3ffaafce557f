"""Shared test helpers: required facilities, free ports, inventories for simulated devices."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from portmap.inventory.model import Device, Secret, SnmpSettings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
IN_CI = bool(os.environ.get("PORTMAP_REQUIRE_AGENTS"))
"""Set by .ci/run: a missing agent, package or privilege fails the test instead of skipping it."""


REPORT: list[str] = []
"""Lines the running test wants shown at the end of every run (fuzz counts, measured figures);
conftest.py hands them on with the test's report."""
TIMING = pytest.mark.xdist_group("timing")
"""Tests that measure time or answer within an interval, and those on fixed ports: they run one
after another on one worker (pyproject's -n 2), beside the lab's (LAB) and then the others."""
LAB = pytest.mark.xdist_group("lab")
"""Tests of real agents in network namespaces that measure time: one after another on the other
worker, beside the TIMING ones, at a lower priority (PRIORITIES). Real agents and the
kernel count for themselves, so a busy machine delays their frames but does not change what they
count."""
PRIORITIES = {TIMING.mark.args[0]: 0, LAB.mark.args[0]: 5}
"""Nice values by xdist group (conftest.timed_tests_first); other tests run at 10."""


def report(line: str) -> None:
    REPORT.append(line)


def require(condition: bool, reason: str) -> None:
    """Skip with the reason on a user's machine; fail in CI, where everything must be present."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def require_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    require(not missing, f"needs {', '.join(missing)} (Debian: apt-get install snmpd snmp iproute2)")


def require_root() -> None:
    require(os.geteuid() == 0, "needs root to create network namespaces")


_PORTS_FROM, _PORTS_TO = 20000, 32000
"""Agents' ports, below the kernel's ephemeral range (32768 up): the sockets of pollers and of
the other worker's tests draw from that range, and took a port found free there before its
agent bound it ("Address already in use")."""
_ports_taken = itertools.count()


def free_udp_ports(count: int) -> list[int]:
    """Loopback UDP ports free now, from a range of this xdist worker's own (counted through, so
    that a port is not handed out again soon)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    size = (_PORTS_TO - _PORTS_FROM) // workers
    sockets: list[socket.socket] = []
    if not count:
        return []
    try:
        for _ in range(size):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind(("127.0.0.1", _PORTS_FROM + worker * size + next(_ports_taken) % size))
            except OSError:  # in use
                sock.close()
                continue
            sockets.append(sock)
            if len(sockets) == count:
                return [s.getsockname()[1] for s in sockets]
        raise RuntimeError(f"fewer than {count} free UDP ports in this worker's range")
    finally:
        for sock in sockets:
            sock.close()


def v2c_device(name: str, port: int, community: str = "public", timeout_s: float = 1.0, retries: int = 0) -> Device:
    return Device(name, "127.0.0.1", port, frozenset({"switch"}), SnmpSettings("2c", Secret(community)), timeout_s, retries)


def v3_device(name: str, port: int, user: str, auth: str, priv: str, timeout_s: float = 1.0) -> Device:
    snmp = SnmpSettings(
        version="3", user=user, security_level="authPriv",
        auth_protocol="sha256", auth_password=Secret(auth), priv_protocol="aes128", priv_password=Secret(priv),
    )
    return Device(name, "127.0.0.1", port, frozenset({"switch"}), snmp, timeout_s, 0)


async def until(condition, seconds: float):  # type: ignore[no-untyped-def]
    """Asks `condition` (in a thread) every 0.1 s until it returns something true, or `seconds` pass: its last answer."""
    deadline = time.monotonic() + seconds
    while True:
        found = await asyncio.to_thread(condition)
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def portmap_run_for(seconds: float, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`portmap ARGS` (a `run`) stopped with SIGTERM after `seconds`: its exit code, and what it
    wrote (its log)."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "portmap", *args, cwd=REPO, env={**os.environ, **(env or {})},
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    await asyncio.sleep(seconds)
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, out.decode() + err.decode()
