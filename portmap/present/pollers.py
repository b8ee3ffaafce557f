"""The pollers sharing a store, as `portmap pollers` shows them: who polls how many devices, and
whose heartbeat stopped."""

from __future__ import annotations

from collections.abc import Sequence

from portmap.core.leases import PollerHealth, PollerSeen
from portmap.present.incidents import ago
from portmap.present.text import aligned, plural, shown


def pollers_lines(pollers: Sequence[PollerSeen], now: float) -> list[str]:
    if not pollers:
        return ["no poller shares this store (portmap run --store postgresql://... makes one)"]
    rows = [[shown(p.name), shown(",".join(p.groups)) or "any", shown(p.host), str(p.pid), p.state(now),
             str(p.devices) if p.state(now) == "polling" else "-", ago(now - p.heartbeat_at) if p.heartbeat_at else "-"]
            for p in pollers]
    return aligned(["POLLER", "GROUPS", "HOST", "PID", "STATE", "DEVICES", "HEARTBEAT"], rows)


def pollers_json(pollers: Sequence[PollerSeen], now: float) -> dict[str, object]:
    return {"pollers": [{"name": p.name, "groups": list(p.groups), "host": p.host, "pid": p.pid, "state": p.state(now),
                         "devices": p.devices, "started_at": p.started_at, "heartbeat_at": p.heartbeat_at or None,
                         "lease_s": p.lease_s} for p in pollers]}


def pollers_brief(pollers: Sequence[PollerHealth]) -> str:
    """'pa 2 devices, pb silent (heartbeat 14 s ago), pc stopped': for a status line."""
    return ", ".join(f"{shown(p.name)} {p.devices} {plural(p.devices, 'device')}" if p.state == "polling" else
                     f"{shown(p.name)} {p.state}" + (f" (heartbeat {ago(p.heartbeat_age_s)})" if p.heartbeat_age_s is not None else "")
                     for p in pollers)


def health_json(pollers: Sequence[PollerHealth]) -> list[dict[str, object]]:
    return [{"name": p.name, "state": p.state, "devices": p.devices,
             "heartbeat_age_s": None if p.heartbeat_age_s is None else round(p.heartbeat_age_s, 1)} for p in pollers]
