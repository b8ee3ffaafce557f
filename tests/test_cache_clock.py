"""Learning when an agent reloads its cached counters, from the reloads probing found."""

from __future__ import annotations

import random

from portmap.core.cache_clock import LEARN_FROM, TOLERANCE_S, CacheClock


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


def test_reloads_a_little_later_each_time_refine_the_period_and_a_late_reload_moves_the_grid():
    """net-snmp's reloads drift (each set one period after the last ran): learned from four
    probes, the period is a little short, and a reload found 20 reloads on lies 0.3 s off the
    grid; refitted with it, the period is within PERIOD_DRIFT, and the grid follows. A reload
    that ran 1.3 s late moves the grid with its period, the next reloads confirm it; a second
    move before any confirmation forgets the grid."""
    clock = CacheClock()
    for edge in (100.0, 103.0, 106.0, 109.0):
        clock.add(edge)
    assert clock.known and clock.period_s == 3.0
    drifting = 100.0 + 20 * 3.015
    assert abs(clock.next_reload(drifting - 1) - drifting) > TOLERANCE_S
    clock.follow(drifting)
    assert clock.known and not clock.moved and abs(clock.period_s - 3.015) < 0.005
    late = drifting + 3 * 3.015 + 1.3
    clock.follow(late)
    period = clock.period_s
    assert clock.moved and abs(clock.next_reload(late + 5) - (late + 2 * period)) < 1e-6
    clock.follow(late + period + 0.1)  # found 0.1 s late (a probe's step): on the grid, whatever one period's length says
    assert clock.known and not clock.moved and clock.period_s == period
    assert abs(clock.next_reload(late + 10) - (late + 4 * period)) < 0.06
    clock.follow(late + 6 * period + 1.3)
    assert clock.moved
    clock.follow(late + 9 * period + 2.6)
    assert not clock.known, "a second move before a confirmation"
