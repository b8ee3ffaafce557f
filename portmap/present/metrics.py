"""The Prometheus text exposition (format 0.0.4) of a snapshot.

Interface counters keep snmp_exporter's `if_mib` names and labels (ifIndex, ifName, ifDescr,
ifAlias), so its dashboards and alert rules work unchanged: raw values as read (rate() handles
resets and wraps), counters without a `_total` suffix, no timestamps. A device that did not
answer the last poll exports none of them, only `portmap_device_up 0`. Written here, not by
prometheus_client, which renames counters to `..._total`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from portmap.core.history import stored_name
from portmap.core.samples import COUNTER_COLUMN, DeviceSample, InterfaceInfo, PortKey
from portmap.core.snapshot import Snapshot

IF_MIB = {
    "in_octets": ("ifHCInOctets", "ifInOctets"), "out_octets": ("ifHCOutOctets", "ifOutOctets"),
    "in_ucast": ("ifHCInUcastPkts", "ifInUcastPkts"), "out_ucast": ("ifHCOutUcastPkts", "ifOutUcastPkts"),
    "in_mcast": ("ifHCInMulticastPkts", "ifInMulticastPkts"), "out_mcast": ("ifHCOutMulticastPkts", "ifOutMulticastPkts"),
    "in_bcast": ("ifHCInBroadcastPkts", "ifInBroadcastPkts"), "out_bcast": ("ifHCOutBroadcastPkts", "ifOutBroadcastPkts"),
    "in_nucast": ("ifInNUcastPkts", "ifInNUcastPkts"), "out_nucast": ("ifOutNUcastPkts", "ifOutNUcastPkts"),
    "in_errors": ("ifInErrors", "ifInErrors"), "out_errors": ("ifOutErrors", "ifOutErrors"),
    "in_discards": ("ifInDiscards", "ifInDiscards"), "out_discards": ("ifOutDiscards", "ifOutDiscards"),
}
"""Each counter's IF-MIB object: (its 64-bit column, its 32-bit one)."""
ADMIN_STATUS = {"up": 1, "down": 2, "testing": 3}
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def escaped(value: str) -> str:
    """A label value as the text format needs it: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _port_labels(device: str | None, info: InterfaceInfo | None, if_index: int) -> str:
    name, descr, alias = (info.if_name, info.if_descr, info.alias) if info else ("", "", "")
    labels = f'ifAlias="{escaped(alias)}",ifDescr="{escaped(descr)}",ifIndex="{if_index}",ifName="{escaped(name)}"'
    return labels if device is None else f'device="{escaped(device)}",{labels}'


def _family(name: str, kind: str, help_text: str, lines: Iterable[str]) -> list[str]:
    body = list(lines)
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *body] if body else []


def if_mib(samples: Sequence[DeviceSample], interfaces: Mapping[PortKey, InterfaceInfo], with_device: bool = True) -> list[str]:
    """The interface counters and gauges of the devices that answered, by snmp_exporter's names."""
    families: dict[str, tuple[str, list[str]]] = {}
    for sample in samples:
        device = sample.device if with_device else None
        indexes = sample.if_indexes.tolist()
        infos = [interfaces.get((sample.device, i)) for i in indexes]
        labels = [_port_labels(device, info, i) for info, i in zip(infos, indexes)]
        for counter, (wide, narrow) in IF_MIB.items():
            column = COUNTER_COLUMN[counter]
            widths, values = sample.widths[:, column], sample.values[:, column].tolist()
            for bits, name in ((64, wide), (32, narrow)):
                rows = np.flatnonzero(widths == bits).tolist()
                if rows:
                    families.setdefault(name, ("counter", []))[1].extend(f"{name}{{{labels[r]}}} {values[r]}" for r in rows)
        gauges = {"ifOperStatus": sample.oper.tolist()}
        gauges["ifHighSpeed"] = [info.speed_bps // 1_000_000 if info else None for info in infos]
        gauges["ifAdminStatus"] = [ADMIN_STATUS.get(info.admin_status) if info else None for info in infos]
        for name, values in gauges.items():
            families.setdefault(name, ("gauge", []))[1].extend(
                f"{name}{{{label}}} {value}" for label, value in zip(labels, values) if value)
    lines: list[str] = []
    for name, (kind, body) in families.items():
        lines += _family(name, kind, f"IF-MIB::{name}, as read", body)
    return lines


def own_metrics(snapshot: Snapshot) -> list[str]:
    """portmap's view: which devices answered, how long the poll took, which ports are flagged and why."""
    up = [f'portmap_device_up{{device="{escaped(d.name)}"}} {int(d.answered)}' for d in snapshot.devices]
    errors: dict[str, int] = {}
    for device in snapshot.devices:
        if not device.answered:
            errors[device.error_kind or "unknown"] = errors.get(device.error_kind or "unknown", 0) + 1
    flagged = []
    for port in snapshot.ports.flagged:
        labels = _port_labels(port.key[0], snapshot.interfaces.get(port.key), port.key[1])
        flagged += [f'portmap_port_flagged{{{labels},kind="{flag.kind}",direction="{flag.direction}"}} {flag.evidence.value:.6g}'
                    for flag in port.flags]
    incidents = []
    for incident in snapshot.incidents:
        if incident.ongoing:
            incidents.append(f'portmap_incident_info{{entry_device="{escaped(incident.port[0])}",'
                             f'entry_port="{escaped(stored_name(snapshot.interfaces, incident.port))}",'
                             f'kinds="{escaped(",".join(str(kind) for kind in incident.kinds))}"}} 1')
    return [
        *_family("portmap_device_up", "gauge", "1 when the device answered the last poll", up),
        *_family("portmap_devices_polled", "gauge", "devices polled", [f"portmap_devices_polled {len(snapshot.devices)}"]),
        *_family("portmap_poll_duration_seconds", "gauge", "how long the last poll took",
                 [f"portmap_poll_duration_seconds {snapshot.poll_s:.6f}"]),
        *_family("portmap_devices_failed", "gauge", "devices that did not answer the last poll, by kind of error",
                 [f'portmap_devices_failed{{kind="{escaped(kind)}"}} {count}' for kind, count in sorted(errors.items())]),
        *_family("portmap_port_flagged", "gauge", "a flagged port: its flag's measured value (pps for floods)", flagged),
        *_family("portmap_incident_info", "gauge", "an open incident, by its entry port", incidents),
    ]


def exposition(snapshot: Snapshot | None, device: str | None = None) -> str:
    """Every device's series with a `device` label and portmap's own; or, for `device` (snmp_exporter's
    multi-target shape, /snmp?target=DEVICE), that device's if_mib series alone, unlabelled."""
    if snapshot is None:
        return ""
    if device is not None:
        return "\n".join(if_mib([s for s in snapshot.samples if s.device == device], snapshot.interfaces, with_device=False)) + "\n"
    return "\n".join(if_mib(snapshot.samples, snapshot.interfaces) + own_metrics(snapshot)) + "\n"
