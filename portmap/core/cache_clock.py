"""When an agent that caches its counters reloads them: a period and a phase, learned.

net-snmp reloads its interface counters on a timer (every 3 s on Debian 12, whatever the
requests), Junos every 5 s. A value read at time t is as old as the last reload before t. The
probes of counter_cache.find_refresh find reloads; each one found falls on the agent's grid
(phase + k x period), so their differences are multiples of the period. Once a few agree, a
read is stamped with the reload before it, with no probing: the poll keeps its cadence and
costs one read. Pure: times come in (monotonic seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LEARN_FROM = 4
"""Reloads found before the period is trusted."""
TOLERANCE_S = 0.15
"""How far a reload found may lie from the grid (probes every 0.1 s, and the round trip)."""
MIN_PERIOD_S = 1.0
MAX_MULTIPLE = 12
"""Differences between reloads found are tried as up to this many periods."""
KEEP = 8
"""Reloads found that are kept to fit the grid on."""


@dataclass
class CacheClock:
    edges: list[float] = field(default_factory=list)
    period_s: float | None = None
    phase_s: float = 0.0

    @property
    def known(self) -> bool:
        return self.period_s is not None

    def add(self, edge_s: float) -> None:
        """A reload found by probing (the same reload found again by a later poll counts once)."""
        if self.edges and abs(edge_s - self.edges[-1]) <= 2 * TOLERANCE_S:
            return
        self.edges = [*self.edges, edge_s][-KEEP:]
        self.period_s, self.phase_s = _fit(self.edges) if len(self.edges) >= LEARN_FROM else (None, 0.0)

    def agrees(self, edge_s: float) -> bool:
        """Whether a reload found lies on the learned grid."""
        if self.period_s is None:
            return True
        offset = (edge_s - self.phase_s) % self.period_s
        return min(offset, self.period_s - offset) <= TOLERANCE_S

    def forget(self) -> None:
        self.edges, self.period_s, self.phase_s = [], None, 0.0

    def last_reload(self, at_s: float) -> float:
        """The reload the values read at `at_s` come from."""
        assert self.period_s is not None
        return self.phase_s + math.floor((at_s - self.phase_s) / self.period_s) * self.period_s

    def next_reload(self, at_s: float) -> float:
        assert self.period_s is not None
        return self.last_reload(at_s) + self.period_s


def _fit(edges: list[float]) -> tuple[float | None, float]:
    """The longest period of which every difference between the reloads is a whole multiple
    (within TOLERANCE_S), refined by least squares, and the grid's phase; (None, 0) if none fits."""
    gaps = [later - earlier for earlier, later in zip(edges, edges[1:])]
    if min(gaps) < MIN_PERIOD_S - TOLERANCE_S:
        return None, 0.0
    candidates = sorted({gap / k for gap in gaps for k in range(1, MAX_MULTIPLE + 1) if gap / k >= MIN_PERIOD_S}, reverse=True)
    for period in candidates:
        multiples = [round(gap / period) for gap in gaps]
        if all(abs(gap - n * period) <= TOLERANCE_S for gap, n in zip(gaps, multiples)):
            period = sum(gap * n for gap, n in zip(gaps, multiples)) / sum(n * n for n in multiples)
            offsets = [(edge - edges[0] + period / 2) % period - period / 2 for edge in edges]
            return period, edges[0] + sum(offsets) / len(offsets)
    return None, 0.0
