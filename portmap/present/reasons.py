"""The reason sentence of a flag, written from its evidence ("sending 40.2k pps of 62 B packets:
small-packet flood, 39x its normal so far"). The detector gives data; only this module writes
the words, so a script or an exporter reads the same facts from the JSON's `evidence`."""

from __future__ import annotations

from portmap.core.flags import Evidence, FlagKind, PortFlag, Reference
from portmap.present import numbers as fmt

_VERB = {"in": "sending", "out": "receiving"}


def reason(flag: PortFlag) -> str:
    evidence = flag.evidence
    verb = _VERB.get(flag.direction, "")
    if flag.kind in (FlagKind.SMALL_PACKET_FLOOD, FlagKind.PACKET_FLOOD):
        return (f"{verb} {fmt.pps(evidence.value)} of {fmt.nbytes(evidence.avg_pkt_bytes)} packets{_zoomed(evidence)}: "
                f"{flag.kind}{_how_far(evidence)}")
    if flag.kind is FlagKind.BUSY_SINCE_START:
        return (f"busy since start: {verb} {fmt.pps(evidence.value)} of {fmt.nbytes(evidence.avg_pkt_bytes)} packets"
                f"{_how_far(evidence)}, steady: learning it as this port's normal")
    if flag.kind is FlagKind.BROADCAST_STORM:
        return (f"broadcast storm: {verb} {fmt.pps(evidence.value)} of broadcasts "
                f"({evidence.bcast_share or 0.0:.0%} of packets)")
    if flag.kind is FlagKind.ERROR_BURST:
        return f"error burst: {fmt.per_second(evidence.value)} {flag.direction}put errors and discards"
    if flag.kind is FlagKind.SATURATION:
        return f"saturated: {fmt.pct(evidence.value)} of {fmt.bps(evidence.speed_bps)}"
    minutes = max(1, round((evidence.window_s or 0.0) / 60))
    return f"flapping: oper status changed {evidence.value:.0f} times in {minutes} min, now {evidence.status}"


def _zoomed(evidence: Evidence) -> str:
    """' for 1 s (read every second)': a zoomed port's busiest read between polls, not the interval's average."""
    return "" if evidence.peak_s is None else f" for {fmt.duration(evidence.peak_s)} (read every second)"


def _how_far(evidence: Evidence) -> str:
    """', 160x its normal': against the port's own baseline (young: 'so far') or the typical port."""
    if evidence.ratio is None:
        return ""
    if evidence.reference is Reference.TYPICAL_PORT:
        return f", {evidence.ratio:.0f}x the typical port"
    young = " so far" if evidence.reference is Reference.YOUNG_BASELINE else ""
    return f", {evidence.ratio:.0f}x its normal{young}"


def evidence_json(flag: PortFlag, since: float | None) -> dict[str, object]:
    """A flag's evidence as data, for the JSON documents."""
    evidence = flag.evidence
    return {
        "kind": str(flag.kind),
        "direction": flag.direction,
        "metric": evidence.metric,
        "value": round(evidence.value, 2),
        "ratio": None if evidence.ratio is None else round(evidence.ratio, 1),
        "reference": None if evidence.reference is None else str(evidence.reference),
        "reference_value": None if evidence.normal is None else round(evidence.normal, 2),
        "avg_pkt_bytes": None if evidence.avg_pkt_bytes is None else round(evidence.avg_pkt_bytes, 1),
        "bcast_share": None if evidence.bcast_share is None else round(evidence.bcast_share, 3),
        "speed_bps": evidence.speed_bps,
        "window_s": None if evidence.window_s is None else round(evidence.window_s, 1),
        "peak_s": None if evidence.peak_s is None else round(evidence.peak_s, 2),
        "oper_status": evidence.status,
        "since": since,
    }
