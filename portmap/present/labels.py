"""The words every face uses for a port, a host, a reason and a device that did not answer."""

from __future__ import annotations

import time
from collections.abc import Sequence

from portmap.core.flags import FLOOD_KINDS, PortFlag
from portmap.core.neighbourhood import Neighbourhood
from portmap.core.snapshot import DeviceStatus, PortKey, Snapshot
from portmap.present.reasons import reason
from portmap.present.text import shown


def host_label(neighbourhood: Neighbourhood | None, key: PortKey) -> str:
    """The one host behind a port, by IP (or MAC); '' where there is none or several."""
    hosts = neighbourhood.hosts_on(key) if neighbourhood else []
    if len(hosts) != 1:
        return ""
    host = hosts[0]
    name = neighbourhood.name_of(host) if neighbourhood else None
    address = f"{', '.join(host.ips)} ({host.mac})" if host.ips else host.mac
    return f"{shown(name)} {address}" if name else address


def reason_line(flag: PortFlag, neighbourhood: Neighbourhood | None, key: PortKey, since: float | None,
                origin: bool = True) -> str:
    """'10.0.0.21 (52:54:..) is sending 40k pps ..., since 14:02:31' where the host and the
    start are known; the flag's reason alone where not. A flood whose `origin` (the port it is
    seen entering by) is an uplink enters behind it, on a device not read: said so."""
    who = host_label(neighbourhood, key)
    started = f", since {time.strftime('%H:%M:%S', time.localtime(since))}" if since is not None else ""
    line = (f"{who} is {reason(flag)}" if who else reason(flag)) + started
    uplink = neighbourhood.uplinks.get(key) if neighbourhood and origin and flag.kind in FLOOD_KINDS else None
    return f"{line}; it enters behind this uplink ({uplink})" if uplink else line


def port_label(snapshot: Snapshot, key: PortKey) -> str:
    info = snapshot.interfaces.get(key)
    name = shown(info.if_name) if info else f"ifIndex {key[1]}"
    alias = f" ({shown(info.alias)})" if info and info.alias else ""
    return f"{key[0]} {name}{alias}"


def zoomed_text(snapshot: Snapshot) -> str | None:
    """'read every second: acc2 Gi1/0/9 (printer1): its flood ended': the ports zoomed in on, and why."""
    ports = [f"{port_label(snapshot, (device, if_index))}: {suspicion.reason}"
             for device, watched in snapshot.zoomed.items() for if_index, suspicion in watched.items()]
    return "read every second: " + "; ".join(ports) if ports else None


def zoomed_json(snapshot: Snapshot) -> list[dict[str, object]]:
    return [{"device": device, "if_index": if_index, "port": port_label(snapshot, (device, if_index)), "reason": suspicion.reason,
             "since": round(suspicion.at, 3)} for device, watched in snapshot.zoomed.items() for if_index, suspicion in watched.items()]


def unreachable(snapshot: Snapshot, previous_failures: Sequence[DeviceStatus]) -> list[DeviceStatus]:
    """Devices that failed now, and those that failed the earlier poll (so have no rates yet)."""
    failed = {d.name: d for d in snapshot.failed}
    for earlier in previous_failures:
        if earlier.name not in failed:
            failed[earlier.name] = DeviceStatus(
                earlier.name, False, earlier.response_s,
                f"did not answer the first poll, so no rates yet: {earlier.error.removeprefix(earlier.name + ': ')}",
                earlier.error_kind,
            )
    return [failed[name] for name in sorted(failed)]
