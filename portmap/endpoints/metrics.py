"""`portmap run --listen`: the Prometheus endpoint.

A thread of its own serves each scrape from the last frame the watch handed over: a scrape
never sends SNMP and never waits on the poll loop. `/metrics` has every device (a `device`
label: scrape it with honor_labels) and portmap's own series; `/snmp?target=DEVICE` is shaped
like snmp_exporter's multi-target endpoint, so its relabel configs carry over.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from portmap.core.snapshot import Frame, Snapshot
from portmap.errors import PortmapError
from portmap.present.metrics import CONTENT_TYPE, exposition

log = logging.getLogger("portmap.metrics")


class EndpointError(PortmapError):
    pass


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class MetricsEndpoint:
    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        """`token`: scrapes must send `Authorization: Bearer TOKEN` (None: any scrape is served)."""
        self.snapshot: Snapshot | None = None
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlsplit(self.path)
                if token is not None and not hmac.compare_digest(self.headers.get("Authorization", ""), f"Bearer {token}"):
                    self._answer(401, "a bearer token is needed\n")
                elif url.path == "/metrics":
                    self._answer(200, exposition(endpoint.snapshot))
                elif url.path == "/snmp" and (target := parse_qs(url.query).get("target", [""])[0]):
                    self._answer(200, exposition(endpoint.snapshot, target))
                elif url.path == "/snmp":
                    self._answer(400, "target= is missing\n")
                else:
                    self._answer(404, "portmap serves /metrics and /snmp?target=DEVICE\n")

            def _answer(self, status: int, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", CONTENT_TYPE if status == 200 else "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
                log.debug("scrape from %s: " + format, self.client_address[0], *args)

        server = _Server6 if ":" in host else ThreadingHTTPServer
        try:
            self._server = server((host, port), Handler)
        except OSError as error:
            raise EndpointError(f"cannot serve metrics on {host}:{port}: {error.strerror}") from None
        self._server.daemon_threads = True
        self.address = self._server.server_address
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)
        self._thread.start()

    def show(self, frame: Frame) -> None:
        """The watch's newest frame: what the next scrapes render (one reference, swapped whole)."""
        self.snapshot = frame.snapshot

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
