"""The history store's answers in words and as data: `portmap history` and `portmap incidents`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict

from portmap.core.history import HostHistory, Placement, PortHistory, PortPeriod, StoredIncident
from portmap.present import numbers as fmt
from portmap.present.charts import chart
from portmap.present.incidents import ago
from portmap.present.text import plural, shown
from portmap.present.vendors import vendor


def moment(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _stretch(placement: Placement) -> str:
    return f"from {moment(placement.first_seen)} to {moment(placement.last_seen)}"


def host_lines(history: HostHistory) -> list[str]:
    lines = []
    for mac in history.macs:
        names = sorted({f"{b.ip}" + (f" {shown(b.name)}" if b.name else "") for b in history.bindings if b.mac == mac})
        lines.append(f"{mac}  vendor {vendor(mac) or '-'}  {', '.join(names) or 'no IP seen'}")
        lines += [f"  {p.device} {shown(p.port)}  vlan {p.vlan}  {_stretch(p)}" for p in history.placements if p.mac == mac]
        lines += [f"  moved at {moment(m.at)}: {m.from_device} {shown(m.from_port)} -> {m.to_device} {shown(m.to_port)}"
                  for m in history.moves if m.mac == mac]
        lines += [f"  {b.ip} bound to it from {moment(b.first_seen)} to {moment(b.last_seen)}" for b in history.bindings if b.mac == mac]
    return lines


def host_json(history: HostHistory) -> dict[str, object]:
    return {"macs": list(history.macs), "placements": [asdict(p) for p in history.placements],
            "moves": [asdict(m) for m in history.moves], "ips": [asdict(b) for b in history.bindings]}


RATE_LINES = 10
"""Periods of a port's rates written as text (the last ones); --json has them all."""


def port_lines(history: PortHistory, with_rates: bool = True) -> list[str]:
    lines = [f"{history.device} {shown(history.port)}:"]
    lines += [f"  {p.mac}  vlan {p.vlan}  {_stretch(p)}" for p in history.placed] or ["  no host placed on it in that time"]
    lines += [f"  {incident_text(i)}" for i in history.incidents]
    rates = history.rates
    if rates and with_rates:
        busiest = max(rates, key=lambda p: p.highest["in_pps"] or 0.0)
        lines.append(f"  rates kept: {len(rates)} {plural(len(rates), 'period')} from {moment(rates[0].period_start)}; "
                     f"busiest in {moment(busiest.period_start)}: {_rates_text(busiest)}")
        lines += [f"  {moment(p.period_start)}  {'hour  ' if p.period_s > 60 else 'minute'}  {_rates_text(p)}" for p in rates[-RATE_LINES:]]
    return lines


def _rates_text(period: PortPeriod) -> str:
    avg, high = period.averages, period.highest
    return (f"in {fmt.si(avg['in_pps'])} pps (highest {fmt.si(high['in_pps'])}), out {fmt.si(avg['out_pps'])} pps, "
            f"{fmt.bps(avg['in_bps'])} in, {fmt.bps(avg['out_bps'])} out, errors+discards {fmt.si(avg['trouble_ps'])}/s")


def port_json(history: PortHistory) -> dict[str, object]:
    return {"device": history.device, "port": history.port, "hosts": [asdict(p) for p in history.placed],
            "incidents": [incident_json(i) for i in history.incidents], "rates": [asdict(p) for p in history.rates]}


def incident_text(incident: StoredIncident) -> str:
    hosts = ", ".join(" ".join([*(str(ip) for ip in h.get("ips") or []), f"({h.get('mac')})"]) for h in incident.hosts)  # type: ignore[attr-defined]
    peak = fmt.si(incident.peak) + (" pps" if incident.metric == "pps" else f" {incident.metric}")
    state = "open" if incident.ongoing else "ended"
    return (f"#{incident.id} {incident.device} {shown(incident.port)}{f' [{hosts}]' if hosts else ''}: {', '.join(incident.kinds)}, "
            f"{moment(incident.start)} to {moment(incident.last_seen)} ({fmt.duration(incident.last_seen - incident.start)}), "
            f"{len(incident.occurrences)} {plural(len(incident.occurrences), 'occurrence')}, peak {peak}; {state}"
            + (f"; crossed {', '.join(incident.path)}" if incident.path else ""))


CURVE_MARGIN_S = 600.0
"""`incidents ID` draws the entry port's rates from this long before the incident to this long after."""
CURVE_POINTS = 120
CURVE_HEIGHT = 6


def curve_window(incident: StoredIncident) -> tuple[float, float]:
    return incident.start - CURVE_MARGIN_S, incident.last_seen + CURVE_MARGIN_S


def incident_lines(incident: StoredIncident, rates: Sequence[PortPeriod]) -> list[str]:
    """`incidents ID`: the incident, each occurrence, the ports it crossed in order, and the entry
    port's packets/s in around it (the highest poll of each minute, or of each hour on a long one)."""
    lines = [incident_text(incident)]
    if incident.path:
        lines.append("  crossed, in order: " + " -> ".join(incident.path))
    for occurrence in incident.occurrences:
        start, end, polls, peak, size = (_figure(occurrence, key) for key in ("start", "end", "polls", "peak", "peak_avg_pkt_bytes"))
        lines.append(f"  from {moment(start)} for {fmt.duration(end - start)}, {polls:.0f} {plural(int(polls), 'poll')}, "
                     f"peak {fmt.si(peak)} {occurrence.get('metric')}" + (f" of {size:.0f} B packets" if size else ""))
    since, until = curve_window(incident)
    period = 60.0 if until - since <= CURVE_POINTS * 60.0 else 3600.0
    first = since // period * period
    highest = [0.0] * (int((until - first) // period) + 1)
    for p in rates:
        slot = int((p.period_start - first) // period)
        if 0 <= slot < len(highest):
            highest[slot] = max(highest[slot], p.highest["in_pps"] or 0.0)
    if not rates:
        return lines + [f"  no rates kept for {incident.device} {shown(incident.port)} around it"]
    ends = (moment(first)[11:16], moment(first + (len(highest) - 1) * period)[11:16])
    lines.append(f"  packets/s in on {incident.device} {shown(incident.port)}, the highest poll of each "
                 f"{'minute' if period == 60.0 else 'hour'}, {moment(first)} to {moment(first + len(highest) * period)}:")
    return lines + ["  " + line for line in chart(highest[-CURVE_POINTS:], CURVE_POINTS, CURVE_HEIGHT, fmt.si, period, ends)]


def _figure(stored: dict[str, object], key: str) -> float:
    """A number of a row's JSON (0 where it holds none)."""
    value = stored.get(key)
    return float(value) if isinstance(value, (int, float)) else 0.0


def incident_json(incident: StoredIncident) -> dict[str, object]:
    return {**asdict(incident), "kinds": list(incident.kinds), "hosts": list(incident.hosts), "path": list(incident.path),
            "occurrences": list(incident.occurrences)}


def last_seen_lines(history: HostHistory | str | None, now: float) -> list[str]:
    """`find --history`: where each MAC the query names was last placed, and how long ago; or
    why the store could not say (`history` is then the reason)."""
    if history is None:
        return []
    if isinstance(history, str):
        return [f"? history: {history}"]
    lines = []
    for mac in history.macs:
        placed = [p for p in history.placements if p.mac == mac]
        if placed:
            last = max(placed, key=lambda p: p.last_seen)
            lines.append(f"{mac}: in no table now; last seen on {last.device} {shown(last.port)}, "
                         f"{ago(now - last.last_seen)} ({moment(last.last_seen)})")
    return lines or ["history: not in the history kept either"]


def history_json(history: HostHistory | str | None) -> dict[str, object]:
    if history is None:
        return {}
    return {"history": {"error": history} if isinstance(history, str) else host_json(history)}
