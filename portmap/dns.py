"""Reverse DNS for host IPs: asynchronous, cached, each lookup bounded in time.

Lookups go through the system resolver (getnameinfo: the hosts file, then DNS, as ping and
ssh see names). getnameinfo blocks, so each runs in a daemon thread: one the resolver keeps
waiting past the timeout is abandoned, never waited for at exit, and its IP is remembered as
unnamed until the cache entry expires.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterable


def system_reverse_name(ip: str) -> str | None:
    try:
        return socket.getnameinfo((ip, 0), socket.NI_NAMEREQD)[0]
    except OSError:
        return None


class ReverseDns:
    def __init__(self, timeout_s: float = 1.0, ttl_s: float = 600.0, max_parallel: int = 16,
                 resolve: Callable[[str], str | None] = system_reverse_name) -> None:
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self._resolve = resolve
        self._parallel = asyncio.Semaphore(max_parallel)
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def names(self, ips: Iterable[str]) -> dict[str, str]:
        """The name of each IP that has one; IPs looked up less than ttl_s ago are not asked again."""
        now = time.monotonic()
        stale = sorted({ip for ip in ips if ip not in self._cache or now - self._cache[ip][0] > self.ttl_s})
        for ip, name in zip(stale, await asyncio.gather(*(self._lookup(ip) for ip in stale))):
            self._cache[ip] = (now, name)
        return {ip: name for ip, (_, name) in self._cache.items() if name is not None}

    async def _lookup(self, ip: str) -> str | None:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str | None] = loop.create_future()

        def deliver(name: str | None) -> None:
            if not answer.done():
                answer.set_result(name)

        def work() -> None:
            name = self._resolve(ip)
            try:
                loop.call_soon_threadsafe(deliver, name)
            except RuntimeError:  # the loop closed while the resolver was still busy
                pass

        async with self._parallel:
            threading.Thread(target=work, name=f"reverse-dns {ip}", daemon=True).start()
            try:
                return await asyncio.wait_for(answer, self.timeout_s)
            except TimeoutError:
                return None
