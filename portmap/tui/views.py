"""What the TUI shows, built from a frame as plain rows: sorting, filtering and labels, no widgets.

Kept apart from the widgets so that a key press costs a sort and a few hundred lines, however
many ports there are (the table holds at most MAX_ROWS; the filter searches them all).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text

from portmap.present import numbers as fmt
from portmap.present.text import fit, shown
from portmap.present.incidents import incident_brief
from portmap.present.labels import host_label, port_label, reason_line, unreachable
from portmap.core.flags import SORT_KEYS, RankedPort
from portmap.core.snapshot import PortKey
from portmap.core.snapshot import Frame

MAX_ROWS = 100
"""More than a console shows at once; the filter searches every port."""
MAX_NAMED_FAILURES = 5
"""Devices not answering named on the status line; more are counted (the devices screen lists them)."""
HISTORY = 40
"""Polls of history kept per port for sparklines and charts."""
BARS = "▁▂▃▄▅▆▇█"
COLUMNS = (("", 1), ("DEVICE", 10), ("PORT", 12), ("ALIAS / HOST", 34), ("STATUS", 6), ("IN PPS", 7), ("OUT PPS", 7),
           ("IN BPS", 11), ("OUT BPS", 11), ("UTIL", 6), ("AVG IN", 6), ("ERR/S", 5), ("HISTORY", 16))
"""Titles and widths of the table's fixed columns."""
NUMERIC = {"IN PPS", "OUT PPS", "IN BPS", "OUT BPS", "UTIL", "AVG IN", "ERR/S"}


def line(cells: Sequence[str]) -> str:
    """One table line: each cell cut or padded to its column (numbers to the right)."""
    return " ".join(fit(cell, width, right=title in NUMERIC) for cell, (title, width) in zip(cells, COLUMNS))


HEADER = line([title for title, _ in COLUMNS])


SORTS = ("rank", *SORT_KEYS)
"""The table's orders: "rank" is the engine's (incidents, entry port then its path, flagged ports,
then the busiest); the others are `top --sort`'s keys, ranked the same way on the poll's arrays."""


class History:
    """The last HISTORY packet rates (in, out) of every port seen."""

    def __init__(self) -> None:
        self.inbound: dict[PortKey, deque[float]] = {}
        self.outbound: dict[PortKey, deque[float]] = {}

    def add(self, ports: Iterable[RankedPort]) -> None:
        for port in ports:
            key = port.key
            for series, side in ((self.inbound, port.rates.inbound), (self.outbound, port.rates.outbound)):
                series.setdefault(key, deque(maxlen=HISTORY)).append((side.pps or 0.0) if side is not None else 0.0)

    def busier(self, key: PortKey) -> list[float]:
        return [max(a, b) for a, b in zip(self.inbound.get(key, ()), self.outbound.get(key, ()))]


def sparkline(values: Sequence[float], width: int = 16) -> str:
    values = list(values)[-width:]
    top = max(values, default=0.0)
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))] for v in values)


@dataclass(frozen=True, slots=True)
class Row:
    key: PortKey
    cells: tuple[str, ...]
    style: str
    """'bold red' on a flood's entry port, 'yellow' on the ports carrying it."""

    @property
    def text(self) -> str:
        return line(self.cells)


def _searchable(port: RankedPort, frame: Frame) -> str:
    key = port.key
    hosts = frame.neighbourhood.hosts_on(key) if frame.neighbourhood else []
    words = [port_label(frame.snapshot, key)] + [h.mac for h in hosts] + [ip for h in hosts for ip in h.ips]
    if frame.neighbourhood:
        words += [frame.neighbourhood.name_of(h) or "" for h in hosts]
    return " ".join(words).lower()


class PortView:
    """One frame's ports sorted and searched, each order and the search text computed once per
    frame, so that a key press or a typed letter costs a pass over 10,000 ports at most."""

    def __init__(self, frame: Frame, ports: list[RankedPort] | None = None) -> None:
        """`ports`: the frame's ports, where the caller has them already (they are built when read)."""
        self.frame = frame
        ports = list(frame.snapshot.ports) if ports is None else ports
        self._orders: dict[str, list[RankedPort]] = {"rank": ports}
        # built with the frame (every few seconds), not on the first typed letter
        self._search = {p.key: _searchable(p, frame) for p in ports}

    def ordered(self, sort: str) -> list[RankedPort]:
        """The ports in the order the snapshot ranks them by `sort`."""
        if sort not in self._orders:
            self._orders[sort] = list(self.frame.snapshot.ports.by(sort))
        return self._orders[sort]

    def rows(self, history: History, sort: str, needle: str = "") -> tuple[list[Row], int]:
        """The rows to show (at most MAX_ROWS), and how many ports matched."""
        ports = self.ordered(sort)
        if needle:
            wanted = needle.lower()
            ports = [p for p in ports if wanted in self._search[p.key]]
        return [_row(p, self.frame, history) for p in ports[:MAX_ROWS]], len(ports)


def _row(port: RankedPort, frame: Frame, history: History) -> Row:
    rates, snapshot, key = port.rates, frame.snapshot, port.key
    info = snapshot.interfaces.get(key)
    inbound, outbound = rates.inbound, rates.outbound
    mark = "!" if port.flagged and port.same_incident_as is None else "+" if port.flagged else ""
    who = host_label(frame.neighbourhood, key) or (shown(info.alias) if info else "")
    style = "bold red" if mark == "!" else "yellow" if mark == "+" else ""
    cells = (
        mark, rates.device, shown(info.if_name) if info else str(rates.if_index), who, snapshot.oper_status.get(key, "?"),
        fmt.si(inbound.pps if inbound else None), fmt.si(outbound.pps if outbound else None),
        fmt.bps(inbound.bps if inbound else None), fmt.bps(outbound.bps if outbound else None),
        fmt.pct(rates.util_pct), fmt.nbytes(inbound.avg_pkt_bytes if inbound else None),
        fmt.si(rates.errors_and_discards_ps), sparkline(history.busier(key)),
    )
    return Row(key, cells, style)


def status_line(frame: Frame | None, devices: int, interval_s: float, sort: str, paused: bool) -> Text:
    """Devices answering (unanswered in red, by name), interval, last poll and how long it took."""
    text = Text("portmap  ")
    if frame is None:
        return text.append(f"{devices} devices, first poll running...")
    snapshot = frame.snapshot
    failed = unreachable(snapshot, frame.earlier_failures)
    answering = sum(1 for d in snapshot.devices if d.answered)
    text.append(f"{answering}/{len(snapshot.devices)} devices answering", style="bold green" if not failed else "bold")
    if len(failed) > MAX_NAMED_FAILURES:
        text.append(f"  not answering: {len(failed)} devices (d lists them)", style="bold white on red")
    elif failed:
        text.append("  not answering: " + ", ".join(d.name for d in failed), style="bold white on red")
    stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.taken_at))
    text.append(f"  every {interval_s:g}s  last poll {stamp} took {snapshot.poll_s:.2f}s  sort {sort}")
    if paused:
        text.append("  PAUSED", style="bold black on yellow")
    return text


def banner(frame: Frame | None) -> Text | None:
    """The strongest incident's reason line, and the ports its flood crosses; None when nothing is flagged."""
    if frame is None:
        return None
    flagged = [p for p in frame.snapshot.ports.flagged if p.same_incident_as is None]
    if not flagged:
        return None
    origin = flagged[0]
    key = origin.key
    reason = reason_line(origin.flags[0], frame.neighbourhood, key, origin.since)
    text = Text.assemble(("! ", "bold"), (port_label(frame.snapshot, key), "bold"), f": {reason}")
    carriers = [port_label(frame.snapshot, p.key) for p in frame.snapshot.ports.flagged
                if p.same_incident_as == key]
    if carriers:
        text.append(f"\n  the same flood crosses: {', '.join(carriers)}")
    return text


RECENT_SHOWN = 3


def recent_strip(frame: Frame | None) -> Text | None:
    """The run's incidents that came back or ended (the last hour), newest first: a burst that
    was over before anyone looked stays on the screen. None when there are none."""
    if frame is None:
        return None
    recent = [i for i in frame.snapshot.incidents if i.came_back_or_ended]
    if not recent:
        return None
    text = Text.assemble(("recent incidents: ", "bold"), "  |  ".join(incident_brief(i, frame.snapshot) for i in recent[:RECENT_SHOWN]))
    if len(recent) > RECENT_SHOWN:
        text.append(f"  (+{len(recent) - RECENT_SHOWN} more)")
    return text


def devices_rows(frame: Frame | None) -> list[tuple[str, ...]]:
    if frame is None:
        return []
    failed = {d.name for d in unreachable(frame.snapshot, frame.earlier_failures)}
    return [(d.name, "no" if d.name in failed else "yes", f"{d.response_s:.2f}s", d.error or "")
            for d in frame.snapshot.devices]


def hosts_lines(frame: Frame, key: PortKey, vendors: Callable[[str], str | None]) -> list[str]:
    neighbourhood = frame.neighbourhood
    if neighbourhood is None:
        return ["(the forwarding tables are not read yet)"]
    lines = []
    for host in neighbourhood.hosts_on(key):
        name = neighbourhood.name_of(host)
        lines.append(f"{host.mac}  {', '.join(host.ips) or '-'}  {shown(name or '')}  {vendors(host.mac) or ''}  vlan {host.vlan}")
    neighbor = neighbourhood.neighbors.get(key)
    if neighbor is not None:
        lines.append(f"{neighbor.protocol.upper()} neighbour: {shown(neighbor.remote_sysname or neighbor.remote_chassis_id)} "
                     f"{shown(neighbor.remote_port)}")
    if key in neighbourhood.uplinks:
        lines.append(f"uplink: {neighbourhood.uplinks[key]}")
    return lines or ["no host learned on this port"]


def routers(roles: Mapping[str, Sequence[str]]) -> list[str]:
    return sorted(name for name, device_roles in roles.items() if "router" in device_roles)
