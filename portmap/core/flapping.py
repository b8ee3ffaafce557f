"""Port flapping: a port whose oper status changed `flap_changes` times within the window.

Each device's sample is compared with its last on arrays: most ports never change, and only
the ports that did keep a history.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from portmap.core.flags import Evidence, FlagKind, PortFlag
from portmap.core.samples import OPER_CODE, OPER_STATUS, DeviceSample, OperStatus, PortKey
from portmap.core.thresholds import FlagThresholds

_STATUS_OF = np.array([code if code in OPER_STATUS else OPER_CODE["unknown"] for code in range(max(OPER_STATUS) + 1)], np.int8)
"""DeviceSample.oper to the status shown: 0 (not a known code) is "unknown", as 4 is."""


class Flapping:
    """Every port's recent oper-status changes, between polls."""

    def __init__(self, limits: FlagThresholds) -> None:
        self.limits = limits
        self._last: dict[str, DeviceSample] = {}
        """Each device's last sample."""
        self._changes: dict[PortKey, deque[float]] = {}
        """Only ports whose status changed within the window."""
        self.since: dict[PortKey, float] = {}
        """Flapping ports: the first change counted when they began to flap, kept while they do."""

    def observe(self, samples: Sequence[DeviceSample], now: float) -> dict[PortKey, PortFlag]:
        """The flapping ports, given each device's last sample (a device that did not answer keeps its last)."""
        for sample in samples:
            before = self._last.get(sample.device, sample)
            self._last[sample.device] = sample
            status, was = _STATUS_OF[sample.oper], _STATUS_OF[before.oper]
            if np.array_equal(before.if_indexes, sample.if_indexes):
                changed = np.flatnonzero(status != was).tolist()
            else:
                was_of = dict(zip(before.if_indexes.tolist(), was.tolist()))
                changed = [row for row, (if_index, code) in enumerate(zip(sample.if_indexes.tolist(), status.tolist()))
                           if was_of.get(if_index, code) != code]
            for row in changed:
                self._changes.setdefault((sample.device, int(sample.if_indexes[row])), deque()).append(now)
        statuses = OperStatus(samples)
        flapping = {}
        for key in list(self._changes):
            status = statuses.get(key)
            if status is None:
                continue
            changes = self._changes[key]
            while changes and now - changes[0] > self.limits.flap_window_s:
                changes.popleft()
            if not changes:
                del self._changes[key]
            elif len(changes) >= self.limits.flap_changes:
                evidence = Evidence("oper_changes", float(len(changes)), window_s=changes[-1] - changes[0], status=status)
                flapping[key] = PortFlag(FlagKind.FLAPPING, "both", float(len(changes)), evidence)
                self.since.setdefault(key, changes[0])
        for key in [key for key in self.since if key not in flapping]:
            del self.since[key]
        return flapping
