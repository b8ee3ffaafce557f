"""A Snapshot as the `top`/`live` table or its JSON document."""

from __future__ import annotations

import time
from collections.abc import Sequence

from portmap.core.flags import RankedPort
from portmap.core.incidents import Occurrence
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.rates import RateStatus
from portmap.core.snapshot import DeviceStatus, PortKey, Snapshot
from portmap.present import numbers as fmt
from portmap.present.find import host_text
from portmap.present.incidents import incident_json, incident_line, occurrence_json
from portmap.present.labels import port_label, reason_line, unreachable, zoomed_json, zoomed_text
from portmap.present.reasons import evidence_json
from portmap.present.text import aligned, shown
from portmap.present.vendors import vendor

COLUMNS = (
    ("DEVICE", 8), ("PORT", 10), ("ALIAS", 16), ("STATUS", 6), ("IN PPS", 10), ("OUT PPS", 10),
    ("IN BPS", 11), ("OUT BPS", 11), ("UTIL", 5), ("AVG IN", 7), ("AVG OUT", 7), ("ERR/S", 6),
)


def _row(snapshot: Snapshot, ranked: RankedPort) -> list[str]:
    rates, key = ranked.rates, ranked.key
    info = snapshot.interfaces.get(key)
    inbound, outbound = rates.inbound, rates.outbound
    mark = "!" if ranked.flagged and ranked.same_incident_as is None else "+" if ranked.flagged else " "
    return [
        mark + rates.device,
        shown(info.if_name) if info else str(rates.if_index),
        shown(info.alias) if info else "",
        snapshot.oper_status.get(key, "?"),
        fmt.si(inbound.pps if inbound else None),
        fmt.si(outbound.pps if outbound else None),
        fmt.bps(inbound.bps if inbound else None),
        fmt.bps(outbound.bps if outbound else None),
        fmt.pct(rates.util_pct),
        fmt.nbytes(inbound.avg_pkt_bytes if inbound else None),
        fmt.nbytes(outbound.avg_pkt_bytes if outbound else None),
        fmt.si(rates.errors_and_discards_ps),
    ]


def render_table(
    snapshot: Snapshot, limit: int | None, interval_s: float, previous_failures: Sequence[DeviceStatus] = (),
    neighbourhood: Neighbourhood | None = None,
) -> str:
    """`interval_s`: the polling interval asked for, which bounds how long a burst seen in one poll lasted."""
    rows = [_row(snapshot, ranked) for ranked in snapshot.ports[:limit]]
    lines = aligned([title for title, _ in COLUMNS], rows, [width for _, width in COLUMNS])
    lines += _flag_lines(snapshot, neighbourhood)
    lines += _incident_lines(snapshot, neighbourhood, interval_s)
    lines += _note_lines(snapshot)
    lines += _unreachable_lines(snapshot, previous_failures)
    zoomed = zoomed_text(snapshot)
    lines += [zoomed] if zoomed else []
    answering = [d for d in snapshot.devices if d.answered]
    stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.taken_at))
    slowest = max(answering, key=lambda d: d.response_s, default=None)
    slow = f"; slowest {slowest.name} {slowest.response_s:.2f}s" if slowest else ""
    lines.append(f"{len(answering)}/{len(snapshot.devices)} devices answered; poll at {stamp} took {snapshot.poll_s:.2f}s{slow}")
    return "\n".join(lines)


def _flag_lines(snapshot: Snapshot, neighbourhood: Neighbourhood | None) -> list[str]:
    lines: list[str] = []
    carriers: dict[PortKey, list[str]] = {}
    for ranked in snapshot.ports.flagged:
        if ranked.same_incident_as is not None:
            carriers.setdefault(ranked.same_incident_as, []).append(port_label(snapshot, ranked.key))
    for ranked in snapshot.ports.flagged:
        if ranked.same_incident_as is not None:
            continue
        key = ranked.key
        for flag in ranked.flags:
            lines.append(f"! {port_label(snapshot, key)}: {reason_line(flag, neighbourhood, key, ranked.since)}")
        if key in carriers:
            lines.append(f"  the same flood crosses: {', '.join(carriers[key])}")
    return ([""] + lines) if lines else []


def _incident_lines(snapshot: Snapshot, neighbourhood: Neighbourhood | None, interval_s: float) -> list[str]:
    """Incidents that came back or ended: what the flag lines of this poll do not show."""
    lines = [f"{'!' if incident.ongoing else '-'} {incident_line(incident, snapshot, neighbourhood, interval_s)}"
             for incident in snapshot.incidents if incident.came_back_or_ended]
    return (["", f"INCIDENTS ({len(lines)}, the last hour):"] + lines) if lines else []


def _note_lines(snapshot: Snapshot) -> list[str]:
    notes: dict[str, set[str]] = {}
    for ranked in snapshot.ports:
        rates = ranked.rates
        if rates.status in (RateStatus.DISCONTINUITY, RateStatus.GLITCH):
            notes.setdefault(rates.device, set()).add(f"{rates.status}: {rates.note}")
        elif rates.may_have_wrapped_again:
            notes.setdefault(rates.device, set()).add("32-bit counters may have wrapped more than once: rates are lower bounds")
    lines = [f"- {device}: {note} (no rate shown for those ports)" for device, texts in sorted(notes.items()) for note in sorted(texts)]
    if snapshot.glitches_dropped:
        lines.append(f"- {snapshot.glitches_dropped} impossible counter jumps dropped so far")
    return ([""] + lines) if lines else []


MAX_UNREACHABLE_LINES = 10
"""Devices not answering listed by name under the table; the rest are counted on one line, so
that during a mass outage the table stays on the screen (--json lists every one)."""


def _unreachable_lines(snapshot: Snapshot, previous_failures: Sequence[DeviceStatus]) -> list[str]:
    failed = unreachable(snapshot, previous_failures)
    lines = [f"x {d.name}: {d.error.removeprefix(d.name + ': ')}" for d in failed[:MAX_UNREACHABLE_LINES]]
    if len(failed) > MAX_UNREACHABLE_LINES:
        lines.append(f"x ... and {len(failed) - MAX_UNREACHABLE_LINES} more devices not answering (--json lists every one)")
    return ([""] + [f"NOT ANSWERING ({len(failed)}):"] + lines) if lines else []


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _hosts_json(neighbourhood: Neighbourhood | None, key: PortKey) -> list[dict[str, object]]:
    hosts = neighbourhood.hosts_on(key) if neighbourhood else []
    return [{"mac": h.mac, "ips": list(h.ips), "name": neighbourhood.name_of(h) if neighbourhood else None,
             "vendor": vendor(h.mac), "vlan": h.vlan} for h in hosts]


def _neighbor_json(neighbourhood: Neighbourhood | None, key: PortKey) -> dict[str, str] | None:
    neighbor = neighbourhood.neighbors.get(key) if neighbourhood else None
    return None if neighbor is None else {"device": neighbor.remote_sysname, "port": neighbor.remote_port}


def occurrences_by_port(snapshot: Snapshot) -> dict[PortKey, tuple[Occurrence, ...]]:
    """Each incident's occurrences by its entry port, looked up once a document, not once a port."""
    return {incident.port: incident.occurrences for incident in snapshot.incidents}


def port_json(snapshot: Snapshot, ranked: RankedPort, neighbourhood: Neighbourhood | None,
              occurrences: dict[PortKey, tuple[Occurrence, ...]]) -> dict[str, object]:
    """One ranked port as `top --json` lists it (`occurrences`: occurrences_by_port's)."""
    rates, key = ranked.rates, ranked.key
    info = snapshot.interfaces.get(key)
    inbound, outbound = rates.inbound, rates.outbound
    return {
        "device": rates.device,
        "if_index": rates.if_index,
        "if_name": info.if_name if info else None,
        "alias": info.alias if info else None,
        "oper_status": snapshot.oper_status.get(key),
        "speed_bps": rates.speed_bps or None,
        "in_pps": _round(inbound.pps if inbound else None),
        "out_pps": _round(outbound.pps if outbound else None),
        "in_bps": _round(inbound.bps if inbound else None),
        "out_bps": _round(outbound.bps if outbound else None),
        "util_pct": _round(rates.util_pct, 2),
        "in_avg_pkt_bytes": _round(inbound.avg_pkt_bytes if inbound else None),
        "out_avg_pkt_bytes": _round(outbound.avg_pkt_bytes if outbound else None),
        "in_bcast_pps": _round(inbound.bcast_pps if inbound else None),
        "in_mcast_pps": _round(inbound.mcast_pps if inbound else None),
        "in_errors_ps": _round(inbound.errors_ps if inbound else None, 2),
        "out_errors_ps": _round(outbound.errors_ps if outbound else None, 2),
        "in_discards_ps": _round(inbound.discards_ps if inbound else None, 2),
        "out_discards_ps": _round(outbound.discards_ps if outbound else None, 2),
        "errors_and_discards_ps": _round(rates.errors_and_discards_ps, 2),
        "rate_status": str(rates.status),
        "note": rates.note,
        "flagged": ranked.flagged,
        "reasons": [reason_line(flag, neighbourhood, key, ranked.since, ranked.same_incident_as is None)
                    for flag in ranked.flags],
        "evidence": [evidence_json(flag, ranked.since) for flag in ranked.flags],
        "since": ranked.since,
        "occurrences": [occurrence_json(o) for o in occurrences.get(key, ())],
        "hosts": _hosts_json(neighbourhood, key),
        "neighbor": _neighbor_json(neighbourhood, key),
        "uplink": neighbourhood.uplinks.get(key) if neighbourhood else None,
        "flag_kinds": [str(flag.kind) for flag in ranked.flags],
        "same_incident_as": (
            {"device": ranked.same_incident_as[0], "if_index": ranked.same_incident_as[1]}
            if ranked.same_incident_as else None
        ),
    }


def render_json(
    snapshot: Snapshot, interval_s: float, previous_failures: Sequence[DeviceStatus] = (), neighbourhood: Neighbourhood | None = None,
    limit: int | None = None,
) -> dict[str, object]:
    """The first `limit` ranked ports (None: every port)."""
    occurrences = occurrences_by_port(snapshot)
    ports = [port_json(snapshot, ranked, neighbourhood, occurrences) for ranked in snapshot.ports[:limit]]
    return {
        "taken_at": round(snapshot.taken_at, 3),
        "interval_s": round(interval_s, 3),
        "devices_answered": sum(1 for d in snapshot.devices if d.answered),
        "devices_total": len(snapshot.devices),
        "ports": ports,
        "incidents": [incident_json(incident) for incident in snapshot.incidents],
        "zoomed": zoomed_json(snapshot),
        "unreachable": [
            {"device": d.name, "error": d.error, "kind": d.error_kind}
            for d in unreachable(snapshot, previous_failures)
        ],
    }


def incident_export(snapshot: Snapshot, neighbourhood: Neighbourhood | None, entry: PortKey) -> tuple[str, dict[str, object]]:
    """The incident entering at `entry`, for a ticket or a chat: as text (its reasons, the hosts
    behind the port, the ports it crosses in order) and as JSON (each port as `top --json` has it)."""
    ports = [r for r in snapshot.ports.flagged if r.key == entry or r.same_incident_as == entry]
    origin = ports[0]
    lines = [f"portmap incident at {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(snapshot.taken_at))}"]
    lines += [f"! {port_label(snapshot, entry)}: {reason_line(flag, neighbourhood, entry, origin.since)}" for flag in origin.flags]
    if neighbourhood is not None:
        lines += [f"  {line}" for host in neighbourhood.hosts_on(entry) for line in host_text(host, neighbourhood)]
    if len(ports) > 1:
        lines.append(f"  the same flood crosses: {', '.join(port_label(snapshot, r.key) for r in ports[1:])}")
    occurrences = occurrences_by_port(snapshot)
    document = {"taken_at": round(snapshot.taken_at, 3), "entry": port_json(snapshot, origin, neighbourhood, occurrences),
                "crosses": [port_json(snapshot, r, neighbourhood, occurrences) for r in ports[1:]]}
    return "\n".join(lines), document
