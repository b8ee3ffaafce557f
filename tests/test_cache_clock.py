"""Learning when an agent reloads its cached counters, from the reloads probing found."""

from __future__ import annotations

import random

from portmap.core.cache_clock import LEARN_FROM, CacheClock


def found(period: float, phase: float, polls: int, interval: float, seed: int = 1) -> list[float]:
    """The reload each poll's probe finds: the first on the grid after the read, give or take 0.05 s."""
    rng = random.Random(seed)
    edges = []
    for poll in range(polls):
        read = 100.0 + poll * interval + rng.uniform(0, 0.3)
        grid = phase + ((read - phase) // period + 1) * period
        edges.append(grid + rng.uniform(-0.05, 0.05))
    return edges


def test_net_snmps_3_s_reloads_polled_every_5_s_are_learned_from_four_and_stamp_reads():
    clock = CacheClock()
    for edge in found(3.0, 0.4, LEARN_FROM, 5.0):
        assert not clock.known
        clock.add(edge)
    assert clock.known and abs(clock.period_s - 3.0) < 0.05
    assert abs(clock.last_reload(130.0) - 129.4) < 0.1 and abs(clock.next_reload(130.0) - 132.4) < 0.1
    assert clock.agrees(132.4 + 0.04) and not clock.agrees(133.4)


def test_a_grid_every_difference_fits_is_taken_whatever_the_interval():
    for period, interval in ((5.0, 2.0), (10.0, 5.0), (15.0, 5.0), (3.0, 7.0)):
        clock = CacheClock()
        for edge in found(period, 1.3, 12, interval, seed=int(period * interval)):
            clock.add(edge)
        assert clock.known and abs(clock.period_s - period) < 0.1, (period, interval, clock.period_s)


def test_reloads_that_fit_no_grid_teach_nothing():
    clock = CacheClock()
    for edge in (100.0, 103.7, 105.1, 109.9, 112.2):
        clock.add(edge)
    assert not clock.known
