"""The history store's answers in words and as data: `portmap history` and `portmap incidents`."""

from __future__ import annotations

import time
from dataclasses import asdict

from portmap.core.history import HostHistory, Placement, PortHistory, PortPeriod, StoredIncident
from portmap.present import numbers as fmt
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
