"""Incident hooks (the inventory's `alerts:` block): webhooks (a JSON POST), syslog (RFC 5424 over
UDP or a Unix datagram socket) and commands (the JSON on their standard input).

Each target has its own bounded queue and worker: a hook that is slow, hangs or fails never holds
up the poll loop nor the other hooks. A failed delivery is retried with a doubling backoff, then
logged and counted; when a queue is full its oldest message is dropped (and logged). Hook URLs and
headers may hold secrets: logs name a webhook by its scheme and host only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import urllib.request
from collections.abc import Sequence

from portmap.core.alerts import AlertLog
from portmap.core.history import stored_name
from portmap.core.snapshot import Frame, PortKey
from portmap.inventory.model import Alerts, Webhook
from portmap.present.alerts import alert_json, syslog_line

log = logging.getLogger("portmap.alerts")

QUEUE_SIZE = 100
"""Messages waiting for one target at most; more drop the oldest."""
TRIES = 4
FIRST_BACKOFF_S = 1.0
"""A failed delivery is tried again after 1, 2 and 4 s."""
WEBHOOK_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 10.0
DRAIN_S = 3.0
"""On a stop, messages still queued get this long to go out."""


class _Target:
    name: str

    async def send(self, message: dict[str, object]) -> None:
        raise NotImplementedError


class _WebhookTarget(_Target):
    def __init__(self, hook: Webhook) -> None:
        self.hook, self.name = hook, f"webhook {hook.shown}"

    async def send(self, message: dict[str, object]) -> None:
        await asyncio.to_thread(self._post, json.dumps(message).encode())

    def _post(self, body: bytes) -> None:
        headers = {"Content-Type": "application/json", **{name: value.reveal() for name, value in self.hook.headers}}
        request = urllib.request.Request(self.hook.url.reveal(), body, headers, method="POST")
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S):  # an answer of 400 and over raises
            pass


class _SyslogTarget(_Target):
    def __init__(self, address: str) -> None:
        self.address, self.name = address, f"syslog {address}"

    async def send(self, message: dict[str, object]) -> None:
        line = syslog_line(message, socket.gethostname(), os.getpid()).encode()
        if self.address.startswith("/"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto(line, self.address)
            return
        host, _, port = self.address.rpartition(":")
        host = host.strip("[]")
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(line, (host, int(port)))


class _CommandTarget(_Target):
    def __init__(self, argv: Sequence[str]) -> None:
        self.argv, self.name = tuple(argv), f"command {argv[0]}"

    async def send(self, message: dict[str, object]) -> None:
        process = await asyncio.create_subprocess_exec(*self.argv, stdin=asyncio.subprocess.PIPE,
                                                       stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            _, err = await asyncio.wait_for(process.communicate(json.dumps(message).encode()), COMMAND_TIMEOUT_S)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise RuntimeError(f"no exit within {COMMAND_TIMEOUT_S:g} s") from None
        if process.returncode:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise RuntimeError(f"exit {process.returncode}: {last[0][:200]}")


class AlertSender:
    def __init__(self, alerts: Alerts, interval_s: float) -> None:
        self.log = AlertLog(alerts.updates_every_s, alerts.silenced)
        self.interval_s = interval_s
        self.targets: list[_Target] = [*map(_WebhookTarget, alerts.webhooks), *map(_SyslogTarget, alerts.syslog),
                                       *map(_CommandTarget, alerts.commands)]
        self.queues: dict[str, asyncio.Queue[dict[str, object]]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self.sent = self.failed = self.dropped = 0

    def show(self, frame: Frame) -> None:
        """A poll's frame: its incidents' news queued for every target (never waited for here)."""
        snapshot = frame.snapshot

        def name_of(port: PortKey) -> str:
            return f"{port[0]} {stored_name(snapshot.interfaces, port)}"

        if not self._workers:
            for target in self.targets:
                queue = self.queues[target.name] = asyncio.Queue(QUEUE_SIZE)
                self._workers.append(asyncio.create_task(self._work(target, queue), name=target.name))
        for event in self.log.events(snapshot.incidents, name_of, snapshot.taken_at):
            message = alert_json(event, snapshot, frame.neighbourhood, self.interval_s)
            for target in self.targets:
                queue = self.queues[target.name]
                if queue.full():
                    dropped = queue.get_nowait()
                    self.dropped += 1
                    log.warning("%s: %d messages waiting, the oldest dropped (%s %s)", target.name, QUEUE_SIZE, dropped["id"], dropped["state"])
                queue.put_nowait(message)

    async def _work(self, target: _Target, queue: asyncio.Queue[dict[str, object]]) -> None:
        while True:
            message = await queue.get()
            await self._deliver(target, message)
            queue.task_done()

    async def _deliver(self, target: _Target, message: dict[str, object]) -> None:
        for attempt in range(TRIES):
            try:
                await target.send(message)
                self.sent += 1
                return
            except Exception as error:  # whatever a hook does, portmap goes on
                if attempt == TRIES - 1:
                    self.failed += 1
                    log.warning("%s: incident %s (%s) not delivered after %d tries: %s", target.name, message["id"], message["state"],
                                TRIES, error)
                    return
                log.info("%s: delivery failed (%s), trying again in %g s", target.name, error, FIRST_BACKOFF_S * 2 ** attempt)
                await asyncio.sleep(FIRST_BACKOFF_S * 2 ** attempt)

    async def close(self) -> None:
        """Stop: what is queued gets DRAIN_S to go out, then the workers stop."""
        draining = [asyncio.create_task(queue.join()) for queue in self.queues.values()]
        if draining:
            await asyncio.wait(draining, timeout=DRAIN_S)
        for task in [*draining, *self._workers]:
            task.cancel()
        await asyncio.gather(*draining, *self._workers, return_exceptions=True)
        if self.targets:
            (log.warning if self.failed or self.dropped else log.info)(
                "alerts: %d delivered, %d not delivered, %d dropped from full queues", self.sent, self.failed, self.dropped)
