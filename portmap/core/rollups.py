"""Per-port rates rolled up over fixed periods (a minute): how many polls measured the port, and
the average and highest of each figure, computed on the poll's arrays.

A port whose every figure was 0 over the period is left out of the rows: most ports of a big
network are down or idle, and a row that says nothing costs the same disk as one that does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from portmap.core.metrics import BPS, PPS, TROUBLE
from portmap.core.rates import DeviceRates, util_pct

FIGURES = ("in_pps", "out_pps", "in_bps", "out_bps", "trouble_ps", "util_pct")
"""What a rollup keeps of each port: average and highest, per period."""


@dataclass(frozen=True, slots=True)
class Retention:
    """How long per-minute and per-hour rates are kept (the inventory's `store:` block)."""

    minutes_days: int = 7
    hours_days: int = 90

    @property
    def minutes_s(self) -> float:
        return self.minutes_days * 86400.0

    @property
    def hours_s(self) -> float:
        return self.hours_days * 86400.0


@dataclass(frozen=True, slots=True)
class RolledUp:
    device: str
    if_index: int
    period_start: float
    polls: int
    averages: tuple[float, ...]
    """In FIGURES' order; util_pct NaN where the speed is not known."""
    highest: tuple[float, ...]


def figures(rates: DeviceRates) -> np.ndarray:
    """(ports, FIGURES) for one poll; NaN where not measured."""
    per_second = rates.per_second
    return np.column_stack([per_second[:, 0, PPS], per_second[:, 1, PPS], per_second[:, 0, BPS], per_second[:, 1, BPS],
                            per_second[:, 0, TROUBLE] + per_second[:, 1, TROUBLE], util_pct(per_second, rates.speed_bps)])


@dataclass
class _Bucket:
    if_indexes: np.ndarray
    polls: np.ndarray
    sums: np.ndarray
    highest: np.ndarray

    @classmethod
    def empty(cls, if_indexes: np.ndarray) -> _Bucket:
        ports = len(if_indexes)
        return cls(if_indexes, np.zeros(ports, np.int64), np.zeros((ports, len(FIGURES))), np.full((ports, len(FIGURES)), np.nan))

    def add(self, values: np.ndarray) -> None:
        measured = ~np.isnan(values[:, 0])
        self.polls += measured
        self.sums += np.nan_to_num(values)
        self.highest = np.fmax(self.highest, values)

    def rows(self, device: str, start: float) -> list[RolledUp]:
        busy = (self.polls > 0) & (np.nan_to_num(self.highest[:, :5]).max(axis=1) > 0)
        averages = self.sums / np.maximum(self.polls, 1)[:, None]
        return [RolledUp(device, int(self.if_indexes[row]), start, int(self.polls[row]), tuple(averages[row].tolist()),
                         tuple(self.highest[row].tolist())) for row in np.flatnonzero(busy).tolist()]


class Rollup:
    """Polls in, each finished period's rows out."""

    def __init__(self, period_s: float = 60.0) -> None:
        self.period_s = period_s
        self.start: float | None = None
        self._buckets: dict[str, _Bucket] = {}

    def add(self, all_rates: Sequence[DeviceRates], at: float) -> list[RolledUp]:
        """One poll, taken at `at`: the rows of the period it ended, if it began a new one."""
        start = at // self.period_s * self.period_s
        finished = self.flush() if self.start is not None and start != self.start else []
        self.start = start
        for rates in all_rates:
            bucket = self._buckets.get(rates.device)
            if bucket is None or not np.array_equal(bucket.if_indexes, rates.if_indexes):
                if bucket is not None:  # renumbered or resized: what the old rows had is kept as it was
                    finished += bucket.rows(rates.device, start)
                bucket = self._buckets[rates.device] = _Bucket.empty(rates.if_indexes.copy())
            bucket.add(figures(rates))
        return finished

    def flush(self) -> list[RolledUp]:
        """The period in progress, as it stands (a stop writes it)."""
        if self.start is None:
            return []
        rows = [row for device, bucket in self._buckets.items() for row in bucket.rows(device, self.start)]
        self._buckets.clear()
        return rows
