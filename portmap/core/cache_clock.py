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
PERIOD_DRIFT = 0.02
"""How far a period refitted with a reload found off the grid may lie from the one learned: a
little (net-snmp's next reload is set from when the last one ran, so each one that runs a few
ms late lengthens the period seen, and a period learned from a few probes is a little off)."""


@dataclass
class CacheClock:
    edges: list[float] = field(default_factory=list)
    period_s: float | None = None
    phase_s: float = 0.0
    moved: bool = False
    """The grid was moved to a reload found off it, and no reload found since has confirmed it."""

    @property
    def known(self) -> bool:
        return self.period_s is not None

    def add(self, edge_s: float) -> None:
        """A reload found by probing while the grid is learned (the same reload found again by a
        later poll counts once)."""
        if self.edges and abs(edge_s - self.edges[-1]) <= 2 * TOLERANCE_S:
            return
        self.edges = [*self.edges, edge_s][-KEEP:]
        self.period_s, self.phase_s = _fit(self.edges) if len(self.edges) >= LEARN_FROM else (None, 0.0)

    def follow(self, edge_s: float) -> None:
        """A reload found once the grid is known. Where the grid refitted with it (LEARN_FROM
        reloads found at least) keeps its period within PERIOD_DRIFT, or where it lies on the
        grid, it refines the grid. Otherwise the grid moves there with its period: net-snmp sets
        its next reload one period after the last one ran, so a reload that ran late (the agent
        busy, or stopped) moves every later one with it. Off a grid that has just moved, before
        any reload confirmed it, the period itself is in doubt: the grid is forgotten, to be
        learned again."""
        assert self.period_s is not None
        if self.edges and abs(edge_s - self.edges[-1]) <= 2 * TOLERANCE_S:
            return
        edges = [*self.edges, edge_s][-KEEP:]
        refined = _refined(edges, self.period_s) if len(edges) >= LEARN_FROM else None
        if refined is None or abs(refined - self.period_s) > PERIOD_DRIFT * self.period_s:
            offset = (edge_s - self.phase_s) % self.period_s
            refined = self.period_s if min(offset, self.period_s - offset) <= TOLERANCE_S else None
        if refined is not None:
            self.edges, self.period_s, self.phase_s, self.moved = edges, refined, _phase(edges, refined), False
        elif self.moved:
            self.forget()
        else:
            self.edges, self.phase_s, self.moved = [edge_s], edge_s, True

    def forget(self) -> None:
        self.edges, self.period_s, self.phase_s, self.moved = [], None, 0.0, False

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
    for candidate in candidates:
        period = _refined(edges, candidate)
        if period is not None:
            return period, _phase(edges, period)
    return None, 0.0


def _refined(edges: list[float], period: float) -> float | None:
    """`period` refined by least squares, each difference between the reloads taken as the whole
    number of periods nearest to it; None where a difference then lies off by more than TOLERANCE_S."""
    gaps = [later - earlier for earlier, later in zip(edges, edges[1:])]
    multiples = [round(gap / period) for gap in gaps]
    if 0 in multiples:
        return None
    refined = sum(gap * n for gap, n in zip(gaps, multiples)) / sum(n * n for n in multiples)
    return refined if all(abs(gap - n * refined) <= TOLERANCE_S for gap, n in zip(gaps, multiples)) else None


def _phase(edges: list[float], period: float) -> float:
    """The grid's phase that lies closest to the reloads found, on average."""
    offsets = [(edge - edges[0] + period / 2) % period - period / 2 for edge in edges]
    return edges[0] + sum(offsets) / len(offsets)
