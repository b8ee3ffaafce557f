"""Which devices a poller holds, where several share one store (engine/store/leases.py keeps
the leases): each device polled by exactly one poller at a time, the load spread evenly, a dead
poller's devices taken over, and no device moving back and forth when a poller comes and goes.

A poller takes only devices whose lease is free or expired, up to its fair share, never one
another poller renews: nothing is stolen. A poller holding more than its share hands the
surplus over at once (the thousand devices the first poller to start took spread in one
handover, and a few more to even out); within the shares, a poller holding two devices more than another
hands one over. Either only towards pollers alive for SETTLE_ROUNDS rounds and beating still,
so that a poller that restarts in a loop never makes devices move. A poller with groups (`--poller-group`)
polls only the devices tagged with one of them, like LibreNMS's poller groups; one without
groups may poll any device.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SETTLE_ROUNDS = 3
"""A poller counts towards the others' fair share after this many lease rounds alive."""


@dataclass(frozen=True, slots=True)
class PollerHealth:
    """A poller as a face shows it beside the network it polls: its state, judged when the store was read."""

    name: str
    state: str
    devices: int
    """The devices it polls (0 unless polling)."""
    heartbeat_age_s: float | None
    """None when it stopped cleanly."""


@dataclass(frozen=True, slots=True)
class PollerSeen:
    """A poller as the store shows it."""

    name: str
    groups: tuple[str, ...]
    started_at: float
    heartbeat_at: float
    """0 when it stopped cleanly (its leases given up)."""
    lease_s: float = 0.0
    """How long its leases live: a heartbeat older than this is a dead poller's."""
    host: str = ""
    pid: int = 0
    devices: int = 0

    def state(self, now: float) -> str:
        """What `portmap pollers` says of it."""
        if not self.heartbeat_at:
            return "stopped"
        if now - self.heartbeat_at > self.lease_s:
            return "silent"  # dead, or cut from the store: its devices are taken over
        return "polling"

    def health(self, now: float) -> PollerHealth:
        state = self.state(now)
        return PollerHealth(self.name, state, self.devices if state == "polling" else 0, now - self.heartbeat_at if self.heartbeat_at else None)


@dataclass(frozen=True, slots=True)
class LeaseSeen:
    device: str
    poller: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class LeasePlan:
    """What one lease round does: renew what is held, take what is free, hand over a surplus."""

    keep: tuple[str, ...]
    take: tuple[str, ...]
    release: tuple[str, ...]
    fair_share: int
    """Among the pollers alive now (those still settling included): what it takes free devices up to."""


def may_poll(groups: Sequence[str], tags: Sequence[str]) -> bool:
    """A poller with groups polls only devices tagged with one of them; one without, any device."""
    return not groups or any(group in tags for group in groups)


def fair_share(me: PollerSeen, pollers: Sequence[PollerSeen], devices: Mapping[str, Sequence[str]]) -> int:
    """Each device this poller may poll, divided among the pollers that may poll it; rounded up,
    so that the shares of all the pollers cover every device."""
    share = sum(1 / sum(1 for poller in pollers if may_poll(poller.groups, tags))
                for tags in devices.values() if may_poll(me.groups, tags))
    return math.ceil(share - 1e-9)


def plan_leases(me: PollerSeen, pollers: Sequence[PollerSeen], leases: Sequence[LeaseSeen], devices: Mapping[str, Sequence[str]],
                now: float, round_s: float) -> LeasePlan:
    """One lease round of `me`. `pollers`: those alive now (me among them); `leases`: every lease
    in the store; `devices`: the inventory's devices with their tags; `round_s`: how often a
    poller runs its lease round (for SETTLE_ROUNDS)."""
    mine = sorted(lease.device for lease in leases if lease.poller == me.name and lease.device in devices
                  and may_poll(me.groups, devices[lease.device]))
    held = Counter(lease.poller for lease in leases if lease.expires_at > now)
    takers = [p for p in pollers if p.name != me.name and now - p.started_at >= SETTLE_ROUNDS * round_s
              and now - p.heartbeat_at < 2 * round_s]  # settled, and beating still (not a dead one's last hours)
    share = fair_share(me, pollers, devices)
    release = _surplus(me, mine, takers, held, devices) or _closer(mine, takers, held, devices)
    if release:
        handed = set(release)
        return LeasePlan(tuple(d for d in mine if d not in handed), (), release, share)
    leased = {lease.device for lease in leases if lease.expires_at > now}
    free = sorted(name for name, tags in devices.items() if name not in leased and may_poll(me.groups, tags))
    return LeasePlan(tuple(mine), tuple(free[:max(0, share - len(mine))]), (), share)


def _surplus(me: PollerSeen, mine: Sequence[str], takers: Sequence[PollerSeen], held: Mapping[str, int],
             devices: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The devices held beyond this poller's fair share among the settled pollers that a settled
    poller below its own share may take: handed over at once."""
    settled = [me, *takers]
    share = fair_share(me, settled, devices)
    if len(mine) <= share:
        return ()
    below = [p for p in takers if held[p.name] < fair_share(p, settled, devices)]
    return tuple([d for d in reversed(mine) if any(may_poll(p.groups, devices[d]) for p in below)][:len(mine) - share])


def _closer(mine: Sequence[str], takers: Sequence[PollerSeen], held: Mapping[str, int],
            devices: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Within the shares, one device towards a settled poller that may poll it and holds two fewer."""
    for device in reversed(mine):
        if any(held[p.name] + 1 < len(mine) for p in takers if may_poll(p.groups, devices[device])):
            return (device,)
    return ()
