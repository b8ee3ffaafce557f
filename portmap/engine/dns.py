"""Reverse DNS for host IPs: asynchronous, cached, bounded in time, never holding up a frame.

Lookups go through the system resolver (getnameinfo: the hosts file, then DNS, as ping and
ssh see names). getnameinfo blocks, so each runs in a daemon thread: one the resolver keeps
waiting past the timeout is abandoned, never waited for at exit, and its IP is remembered as
unnamed until the cache entry expires. A call waits at most `timeout_s` in all, however many
IPs it asks for: lookups still running go on and fill the cache for the next call (with a
dead DNS server and 1,000 new hosts, the first frame is not 60 s late).
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
        self._running: dict[str, asyncio.Task[None]] = {}

    async def names(self, ips: Iterable[str]) -> dict[str, str]:
        """The names known for these IPs after waiting at most timeout_s; IPs looked up less
        than ttl_s ago are not asked again."""
        now = time.monotonic()
        wanted = set(ips)
        for ip in sorted(wanted):
            fresh = ip in self._cache and now - self._cache[ip][0] <= self.ttl_s
            if not fresh and ip not in self._running:
                self._running[ip] = asyncio.create_task(self._remember(ip))
        waiting = [self._running[ip] for ip in wanted if ip in self._running]
        if waiting:
            await asyncio.wait(waiting, timeout=self.timeout_s)
        return {ip: name for ip, (_, name) in self._cache.items() if name is not None and ip in wanted}

    async def _remember(self, ip: str) -> None:
        try:
            self._cache[ip] = (time.monotonic(), await self._lookup(ip))
        finally:
            self._running.pop(ip, None)

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
