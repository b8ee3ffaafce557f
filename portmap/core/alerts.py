"""Which incidents to tell, and when: once when one opens, again at most every few minutes while
it grows (a new burst, a higher peak), once when it closes. The detector's hysteresis already
keeps a flapping port to one incident, and a flood seen a poll early on a port it only passes is
no incident of its own (core/incidents.py); a silenced entry port is never told."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import Enum

from portmap.core.incidents import Incident
from portmap.core.samples import PortKey


class AlertState(str, Enum):
    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class AlertEvent:
    state: AlertState
    incident: Incident


@dataclass(slots=True)
class _Told:
    at: float
    occurrences: int
    peak: float


class AlertLog:
    def __init__(self, updates_every_s: float, silenced: Collection[str] = ()) -> None:
        """`silenced`: 'DEVICE PORT' names of entry ports whose incidents are not told."""
        self.updates_every_s = updates_every_s
        self.silenced = set(silenced)
        self._told: dict[tuple[PortKey, float], _Told] = {}

    def events(self, incidents: Sequence[Incident], name_of: Callable[[PortKey], str], now: float) -> list[AlertEvent]:
        """This poll's incidents -> what to tell. `name_of`: a port's 'DEVICE PORT' name."""
        events = []
        for incident in incidents:
            key = (incident.port, incident.start)
            if name_of(incident.port) in self.silenced:
                continue
            told = self._told.get(key)
            peak = max(o.peak for o in incident.occurrences)
            if told is None:
                if incident.ongoing:
                    events.append(AlertEvent(AlertState.OPENED, incident))
                    self._told[key] = _Told(now, len(incident.occurrences), peak)
            elif not incident.ongoing:
                events.append(AlertEvent(AlertState.CLOSED, incident))
                del self._told[key]
            elif (len(incident.occurrences) > told.occurrences or peak > told.peak) and now - told.at >= self.updates_every_s:
                events.append(AlertEvent(AlertState.UPDATED, incident))
                self._told[key] = _Told(now, len(incident.occurrences), peak)
        return events
