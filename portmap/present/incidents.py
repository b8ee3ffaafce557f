"""An incident in words and as data: "acc2 Gi1/0/11 (mail2): 3 bursts in the last 5 min, each
within one 5 s poll, up to 4.1k pps of 54 B packets", with the times of its occurrences."""

from __future__ import annotations

import time

from portmap.core.incidents import Incident, Occurrence
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.snapshot import Snapshot
from portmap.present import numbers as fmt
from portmap.present.labels import host_label, port_label


def clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def ago(seconds: float) -> str:
    """'40 s ago', '3 min ago', '2 h ago'."""
    if seconds < 90:
        return f"{max(0, round(seconds))} s ago"
    if seconds < 5400:
        return f"{round(seconds / 60)} min ago"
    return f"{round(seconds / 3600)} h ago"


def peak(occurrence: Occurrence) -> str:
    """The highest value measured, in its metric's words."""
    value = occurrence.peak
    if occurrence.metric == "pps":
        return f"{fmt.pps(value)} of {fmt.nbytes(occurrence.peak_pkt_bytes)} packets"
    if occurrence.metric == "bcast_pps":
        return f"{fmt.pps(value)} of broadcasts"
    if occurrence.metric == "trouble_ps":
        return f"{fmt.per_second(value)} errors and discards"
    if occurrence.metric == "util_pct":
        return f"{fmt.pct(value)} of the line rate"
    return f"{value:.0f} oper-status changes"


def _length(occurrences: tuple[Occurrence, ...], interval_s: float) -> str:
    """How long each lasted, as far as polls every `interval_s` tell."""
    if all(o.polls == 1 for o in occurrences):
        single = "within one" if len(occurrences) == 1 else "each within one"
        return f"{single} {interval_s:g} s poll"
    longest = max(o.polls for o in occurrences) * interval_s
    return f"up to about {longest:.0f} s" if len(occurrences) > 1 else f"about {longest:.0f} s"


def incident_line(incident: Incident, snapshot: Snapshot, neighbourhood: Neighbourhood | None, interval_s: float) -> str:
    """One line for an incident, as `top` and the TUI's recent strip show it."""
    who = host_label(neighbourhood, incident.port)
    where = port_label(snapshot, incident.port) + (f" [{who}]" if who else "")
    occurrences = incident.occurrences
    highest = max(occurrences, key=lambda o: o.peak)
    kinds = ", ".join(str(kind) for kind in incident.kinds)
    if len(occurrences) > 1:
        span = max(snapshot.taken_at - incident.start, interval_s)
        what = (f"{len(occurrences)} bursts in the last {ago(span).removesuffix(' ago')} "
                f"({', '.join(clock(o.start) for o in occurrences[-5:])}{', ...' if len(occurrences) > 5 else ''})")
    else:
        what = f"from {clock(incident.start)}"
    state = "ongoing" if incident.ongoing else f"ended {ago(snapshot.taken_at - incident.last_seen)}"
    return f"{where}: {kinds}, {what}, {_length(occurrences, interval_s)}, up to {peak(highest)}; {state}"


def incident_brief(incident: Incident, snapshot: Snapshot) -> str:
    """A few words for a strip of recent incidents: where, how often, how long ago."""
    occurrences = len(incident.occurrences)
    what = f"{occurrences} bursts" if occurrences > 1 else ", ".join(str(kind) for kind in incident.kinds)
    when = "now" if incident.ongoing else f"ended {ago(snapshot.taken_at - incident.last_seen)}"
    return f"{port_label(snapshot, incident.port)}: {what}, {'the last ' if occurrences > 1 else ''}{when}"


def incident_json(incident: Incident) -> dict[str, object]:
    return {
        "device": incident.port[0],
        "if_index": incident.port[1],
        "kinds": [str(kind) for kind in incident.kinds],
        "ongoing": incident.ongoing,
        "start": round(incident.start, 3),
        "last_seen": round(incident.last_seen, 3),
        "occurrences": [occurrence_json(o) for o in incident.occurrences],
    }


def occurrence_json(occurrence: Occurrence) -> dict[str, object]:
    return {
        "start": round(occurrence.start, 3),
        "end": round(occurrence.end, 3),
        "polls": occurrence.polls,
        "peak": round(occurrence.peak, 2),
        "metric": occurrence.metric,
        "peak_avg_pkt_bytes": None if occurrence.peak_pkt_bytes is None else round(occurrence.peak_pkt_bytes, 1),
    }
