"""Network namespaces made and torn down by the tests: hosts, veth cables, snmpd agents.

Only documentation prefixes are used, and only inside these namespaces.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENDER = r"""
import socket, sys, time
targets, port, pps, seconds, size = sys.argv[1].split(","), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"x" * size
start = time.monotonic()
sent, limit = 0, int(pps * seconds) * len(targets)
while sent < limit and time.monotonic() - start < seconds + 2:
    due = int((time.monotonic() - start) * pps) * len(targets)
    while sent < min(due, limit):
        sock.sendto(payload, (targets[sent % len(targets)], port))
        sent += 1
    time.sleep(0.005)
print(sent)
"""


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30)


class Lab:
    """Namespaces named with a per-run prefix, so parallel or crashed runs never collide."""

    def __init__(self, workdir: Path) -> None:
        self.prefix = f"pm{os.getpid() % 100000}"
        self.workdir = workdir
        self.sockets = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-"))
        """For daemons' sockets: lldpd's unprivileged half must reach them, and pytest's tmp folders are private."""
        self.sockets.chmod(0o755)
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen[str]] = []

    def namespace(self, name: str) -> str:
        full = f"{self.prefix}{name}"
        run("ip", "netns", "add", full)
        self.namespaces.append(full)
        self.exec(full, "ip", "link", "set", "lo", "up")
        return full

    def exec(self, namespace: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", namespace, *args, check=check)

    def cable(self, ns_a: str, if_a: str, addr_a: str | None, ns_b: str, if_b: str, addr_b: str | None) -> None:
        """A veth pair from ns_a:if_a to ns_b:if_b, each end optionally addressed (CIDR)."""
        temp_a, temp_b = f"{self.prefix}a{len(self.namespaces)}", f"{self.prefix}b{len(self.namespaces)}"
        run("ip", "link", "add", temp_a, "type", "veth", "peer", "name", temp_b)
        for temp, ns, name, addr in ((temp_a, ns_a, if_a, addr_a), (temp_b, ns_b, if_b, addr_b)):
            run("ip", "link", "set", temp, "netns", ns)
            self.exec(ns, "ip", "link", "set", temp, "name", name)
            if addr:
                self.exec(ns, "ip", "addr", "add", addr, "dev", name)
            self.exec(ns, "ip", "link", "set", name, "up")

    def management_link(self, namespace: str, root_cidr: str, ns_cidr: str) -> None:
        """A veth from the test's own namespace into `namespace`, so the test can poll its agent."""
        root_end, ns_end = f"{self.prefix}m{len(self.namespaces)}", f"{self.prefix}n{len(self.namespaces)}"
        run("ip", "link", "add", root_end, "type", "veth", "peer", "name", ns_end)
        run("ip", "link", "set", ns_end, "netns", namespace)
        run("ip", "addr", "add", root_cidr, "dev", root_end)
        run("ip", "link", "set", root_end, "up")
        self.exec(namespace, "ip", "addr", "add", ns_cidr, "dev", ns_end)
        self.exec(namespace, "ip", "link", "set", ns_end, "up")

    def snmpd(self, namespace: str, community: str, listen: str = "127.0.0.1", allow: str = "127.0.0.1",
              sys_name: str | None = None, extra: str = "", state: Path | None = None) -> subprocess.Popen[str]:
        """net-snmp's agent in `namespace`; `extra` config lines (AgentX master, pass_persist ...).
        With `state`, a folder where it keeps its engine id and boots over restarts (it reads
        them back only when named with -c, since -C skips every file it was not named)."""
        config = self.workdir / f"{namespace}-snmpd.conf"
        addresses = ",".join(f"udp:{address}:161" for address in dict.fromkeys(["127.0.0.1", listen]))
        access = "".join(f"rocommunity {community} {source}\n" for source in dict.fromkeys(["127.0.0.1", allow]))
        config.write_text(f"agentAddress {addresses}\n{access}sysName {sys_name or namespace}\n{extra}")
        pidfile = self.workdir / f"{namespace}-snmpd.pid"
        configs, environment = str(config), None
        if state is not None:
            environment = {**os.environ, "SNMP_PERSISTENT_DIR": str(state)}
            if (state / "snmpd.conf").exists():
                configs += f",{state / 'snmpd.conf'}"
        process = subprocess.Popen(
            ["ip", "netns", "exec", namespace, "snmpd", "-f", "-Lo", "-C", "-c", configs, "-p", str(pidfile)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=environment,
        )
        self.processes.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = self.exec(namespace, "snmpget", "-v2c", "-c", community, "-t", "0.5", "-r", "0",
                              "127.0.0.1", "1.3.6.1.2.1.1.3.0", check=False)
            if probe.returncode == 0:
                return process
            time.sleep(0.2)
        raise RuntimeError(f"snmpd in {namespace} did not answer within 10 s")

    def bridge(self, namespace: str, name: str, members: list[str]) -> None:
        """A Linux bridge (a switch) over the given interfaces of `namespace`."""
        self.exec(namespace, "ip", "link", "add", name, "type", "bridge")
        for member in members:
            self.exec(namespace, "ip", "link", "set", member, "master", name)
        self.exec(namespace, "ip", "link", "set", name, "up")

    def start(self, namespace: str, *command: str, hostname: str | None = None) -> subprocess.Popen[str]:
        """A long-running process in `namespace`, stopped by close(). With `hostname`, it runs in UTS
        and mount namespaces of its own, named so, with that name in its /etc/hosts: daemons that
        resolve their own name (lldpd) then never wait for a DNS server."""
        args = ["ip", "netns", "exec", namespace]
        if hostname:
            hosts = self.workdir / f"{hostname}.hosts"
            hosts.write_text(f"127.0.0.1 localhost\n127.0.1.1 {hostname}\n")
            args += ["unshare", "--uts", "--mount", "sh", "-c",
                     f'hostname "{hostname}" && mount --bind "{hosts}" /etc/hosts && exec "$@"', "sh"]
        with (self.workdir / f"{namespace}-{Path(command[0]).name}.log").open("w") as log:
            process = subprocess.Popen(args + list(command), stdout=log, stderr=subprocess.STDOUT, text=True)
        self.processes.append(process)
        return process

    def send_udp(self, namespace: str, target: str, pps: int, seconds: float, size: int) -> subprocess.Popen[str]:
        """Bounded traffic: at most pps*seconds datagrams to each target (several: comma-separated,
        sent to in turn), and never past seconds + 2."""
        process = subprocess.Popen(
            ["ip", "netns", "exec", namespace, sys.executable, "-c", SENDER, target, "9", str(pps), str(seconds), str(size)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.processes.append(process)
        return process

    def counter(self, namespace: str, interface: str, name: str) -> int:
        return int(self.exec(namespace, "cat", f"/sys/class/net/{interface}/statistics/{name}").stdout)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
        for namespace in self.namespaces:
            for pid in run("ip", "netns", "pids", namespace, check=False).stdout.split():
                os.kill(int(pid), signal.SIGKILL)
            run("ip", "netns", "delete", namespace, check=False)
        shutil.rmtree(self.sockets, ignore_errors=True)
