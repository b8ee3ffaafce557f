"""An incident told to the tools teams watch: the message as data (webhooks, commands) with a
one-line text for chat, and as an RFC 5424 syslog line."""

from __future__ import annotations

import time

from portmap.core.alerts import AlertEvent, AlertState
from portmap.core.history import stored_name
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.snapshot import Snapshot
from portmap.present.incidents import incident_json, incident_line
from portmap.present.labels import port_label
from portmap.present.reasons import evidence_json
from portmap.present.vendors import vendor

LOCAL0 = 16
SEVERITY = {AlertState.OPENED: 4, AlertState.UPDATED: 4, AlertState.CLOSED: 5}
"""warning while an incident is open, notice when it closes."""


def alert_json(event: AlertEvent, snapshot: Snapshot, neighbourhood: Neighbourhood | None, interval_s: float) -> dict[str, object]:
    incident = event.incident
    port = incident.port
    name = stored_name(snapshot.interfaces, port)
    hosts = neighbourhood.hosts_on(port) if neighbourhood else []
    flagged = next((p for p in snapshot.ports.flagged if p.key == port), None)
    highest = max(incident.occurrences, key=lambda o: o.peak)
    return {
        "id": f"{port[0]}:{name}:{incident.start:.0f}",
        "state": str(event.state),
        "text": f"portmap: incident {event.state}: {incident_line(incident, snapshot, neighbourhood, interval_s)}",
        "entry": {"device": port[0], "port": name, "if_index": port[1], "label": port_label(snapshot, port)},
        "hosts": [{"mac": h.mac, "ips": list(h.ips), "name": neighbourhood.name_of(h) if neighbourhood else None, "vendor": vendor(h.mac)}
                  for h in hosts],
        "peak": {"value": round(highest.peak, 2), "metric": highest.metric, "avg_pkt_bytes": highest.peak_pkt_bytes},
        "path": [port_label(snapshot, p.key) for p in snapshot.ports.flagged if p.same_incident_as == port],
        "evidence": [evidence_json(flag, flagged.since) for flag in flagged.flags] if flagged else [],
        **{key: value for key, value in incident_json(incident).items() if key not in ("device", "if_index")},
    }


def syslog_line(message: dict[str, object], hostname: str, pid: int, now: float | None = None) -> str:
    """RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG, facility local0."""
    severity = SEVERITY[AlertState(message["state"])]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now if now is not None else time.time()))
    return f"<{LOCAL0 * 8 + severity}>1 {stamp}Z {hostname or '-'} portmap {pid} incident - {message['text']}"
