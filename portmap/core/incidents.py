"""Incidents over time: a port's flagged stretches, recurring ones kept together as occurrences.

The flood that matters most does not stay: a bot sends for a second or two, stops, and comes
back. Each stretch of polls in which an entry port is flagged by its own rates is an
occurrence; occurrences on the same port less than RECUR_WITHIN_S apart are one incident
("3 bursts in the last 5 min"). Incidents that ended stay listed for KEEP_S, so a burst that
ended before anyone looked is still there. Pure: time comes in.

An uplink flagged on its own while an edge port's incident is ongoing or recent carries that
flood, seen at another rate (agents that cache counters refresh them at other moments, devices
are polled moments apart): it makes no incident of its own. A port where a flood passes, an
uplink or a port it leaves by (flagged outbound only), flagged alone is often the flood seen a
poll before the port it came in by (the devices were read moments apart as it began): it
becomes an incident from the second poll that shows it so, a flood entering from a device not
read (or, leaving by an edge port, from outside towards its host).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from portmap.core.flags import FLOOD_KINDS, FlagKind, RankedPort
from portmap.core.samples import PortKey

RECUR_WITHIN_S = 600.0
"""Flagged stretches on one port less than this apart are occurrences of one incident."""
KEEP_S = 3600.0
"""An incident is listed this long after its last occurrence ended."""
NOT_INCIDENTS = (FlagKind.BUSY_SINCE_START,)


@dataclass(frozen=True, slots=True)
class Occurrence:
    start: float
    """When the first poll that flagged it finished (epoch seconds)."""
    end: float
    """When the last poll that flagged it by its own rates finished."""
    polls: int
    peak: float
    """The highest value a flag measured, in its metric's unit."""
    metric: str
    """The metric of that flag's evidence (core/flags.Evidence.metric)."""
    peak_pkt_bytes: float | None
    """The average packet size at that peak, where the flag measured packets."""


@dataclass(frozen=True, slots=True)
class Incident:
    port: PortKey
    """The entry port (the flood's origin, or the port of any other flag)."""
    kinds: tuple[FlagKind, ...]
    occurrences: tuple[Occurrence, ...]
    ongoing: bool
    """Flagged by this poll's own rates."""

    @property
    def start(self) -> float:
        return self.occurrences[0].start

    @property
    def last_seen(self) -> float:
        return self.occurrences[-1].end

    @property
    def came_back_or_ended(self) -> bool:
        """What a poll's flagged ports alone do not show: listed under the table and in the TUI's strip."""
        return len(self.occurrences) > 1 or not self.ongoing


class IncidentLog:
    """Every incident of the run, updated from each poll's ranked flagged ports."""

    def __init__(self, recur_within_s: float = RECUR_WITHIN_S, keep_s: float = KEEP_S) -> None:
        self.recur_within_s, self.keep_s = recur_within_s, keep_s
        self._by_port: dict[PortKey, Incident] = {}
        self._unconfirmed: dict[PortKey, Incident] = {}
        """Incidents where a flood passes, flagged by the last poll only: not listed yet."""

    def observe(self, flagged: Sequence[RankedPort], active: Collection[PortKey], now: float,
                uplinks: Collection[PortKey] = frozenset()) -> tuple[Incident, ...]:
        """One poll: `flagged` its flagged ports in rank order, `active` the ports flagged by this
        poll's own rates, `uplinks` the ports known to link two devices. Returns the incidents to
        show: ongoing first, then by last seen, newest first."""
        seen: set[PortKey] = set()
        unconfirmed: dict[PortKey, Incident] = {}
        passing = {port.key for port in flagged if port.key in uplinks or _leaving_only(port)}
        for port in sorted(flagged, key=lambda port: port.key in passing):  # entries first
            kinds = tuple(flag.kind for flag in port.flags if flag.kind not in NOT_INCIDENTS)
            if port.same_incident_as is not None or not kinds or port.key not in active:
                continue
            if port.key in uplinks and self._edge_incident_since(now - self.recur_within_s, uplinks):
                continue
            peak = max((flag for flag in port.flags if flag.kind in kinds), key=lambda flag: flag.rate)
            occurrence = Occurrence(now, now, 1, peak.rate, peak.evidence.metric, peak.evidence.avg_pkt_bytes)
            known = self._by_port.get(port.key)
            if port.key in passing and self._begins(known, now):
                known = self._unconfirmed.get(port.key)
                if known is None:
                    unconfirmed[port.key] = Incident(port.key, kinds, (occurrence,), True)
                    continue
            seen.add(port.key)
            self._by_port[port.key] = self._continued(known, port.key, kinds, occurrence)
        self._unconfirmed = unconfirmed
        for key, incident in list(self._by_port.items()):
            if key not in seen and incident.ongoing:
                self._by_port[key] = replace(incident, ongoing=False)
            elif not incident.ongoing and now - incident.last_seen > self.keep_s:
                del self._by_port[key]
        return tuple(sorted(self._by_port.values(), key=lambda i: (not i.ongoing, -i.last_seen)))

    def _edge_incident_since(self, since: float, uplinks: Collection[PortKey]) -> bool:
        return any(incident.port not in uplinks and (incident.ongoing or incident.last_seen >= since)
                   for incident in self._by_port.values())

    def _begins(self, known: Incident | None, now: float) -> bool:
        """This poll's flags on the port begin a new incident rather than continue `known`."""
        return known is None or (not known.ongoing and now - known.last_seen > self.recur_within_s)

    def _continued(self, known: Incident | None, key: PortKey, kinds: tuple[FlagKind, ...], now: Occurrence) -> Incident:
        """`known` (the port's incident) with this poll's flags: a new one, a new occurrence, or the ongoing one extended."""
        if known is None or self._begins(known, now.start):
            return Incident(key, kinds, (now,), True)
        merged = tuple(dict.fromkeys((*known.kinds, *kinds)))
        if not known.ongoing:
            return Incident(key, merged, (*known.occurrences, now), True)
        last = known.occurrences[-1]
        highest = now if now.peak > last.peak else last
        extended = replace(highest, start=last.start, end=now.end, polls=last.polls + 1)
        return Incident(key, merged, (*known.occurrences[:-1], extended), True)


def _leaving_only(port: RankedPort) -> bool:
    """Every flood flagged on the port is going out of it: it came in somewhere else."""
    floods = [flag for flag in port.flags if flag.kind in FLOOD_KINDS]
    return bool(floods) and all(flag.direction == "out" for flag in floods)
