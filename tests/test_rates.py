"""Counter maths: wraps, resets, reboots and glitches never become fake traffic."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import numpy as np

from portmap.core.counters import COUNTER32_MODULO, counter_deltas
from portmap.core.rates import PortRates, RateStatus, compute_device_rates
from portmap.core.samples import Counter, DeviceSample, InterfaceInfo, PortCounters

GIGABIT = 1_000_000_000


def port(octets: int, packets: int, bits: int = 64, discontinuity: int | None = 0, if_index: int = 1) -> PortCounters:
    counters = {
        "in_octets": Counter(octets, bits), "out_octets": Counter(octets, bits),
        "in_ucast": Counter(packets, bits), "out_ucast": Counter(packets, bits),
        "in_errors": Counter(0, 32), "out_errors": Counter(0, 32),
    }
    return PortCounters(if_index, "up", discontinuity, counters)


def sample(time_s: float, uptime_cs: int, *ports: PortCounters) -> DeviceSample:
    return DeviceSample.of("sw1", time_s, uptime_cs, time_s - 0.05, {p.if_index: p for p in ports})


INTERFACES = {1: InterfaceInfo(1, "Gi1/0/1", "GigabitEthernet1/0/1", "", 6, GIGABIT, "", "up")}


def compute_port_rates(before: PortCounters | None, after: PortCounters, interval_s: float, speed_bps: int) -> PortRates:
    """One port's rates over an interval, through the device's computation (the agent's clock keeps ours)."""
    interfaces = {after.if_index: InterfaceInfo(after.if_index, "p", "p", "", 6, speed_bps, "", "up")}
    prev = DeviceSample.of("sw1", 1000.0, 100_000, 1000.0, {} if before is None else {before.if_index: before})
    cur = DeviceSample.of("sw1", 1000.0 + interval_s, 100_000 + round(interval_s * 100), 1000.0 + interval_s, {after.if_index: after})
    (port_rates,) = compute_device_rates(prev, cur, interfaces).ports()
    return port_rates


def delta(start: int, end: int, bits: int) -> int | None:
    deltas = counter_deltas(np.array([start], np.uint64), np.array([end], np.uint64), np.array([bits]), np.array([bits]))
    return None if deltas.reset[0] else int(deltas.values[0])


def test_counter32_wrap_gives_positive_rate():
    before = port(COUNTER32_MODULO - 1000, COUNTER32_MODULO - 10, bits=32)
    after = port(4000, 40, bits=32)
    rates = compute_port_rates(before, after, 5.0, GIGABIT)
    assert rates.status is RateStatus.OK
    assert rates.inbound.bps == 5000 * 8 / 5.0
    assert rates.inbound.pps == 50 / 5.0


def test_counter64_going_down_is_a_discontinuity_not_a_spike():
    rates = compute_port_rates(port(10**12, 10**9), port(5000, 50), 5.0, GIGABIT)
    assert rates.status is RateStatus.DISCONTINUITY
    assert rates.inbound is None and "in_octets counter went back" in rates.note


def test_sysuptime_going_back_marks_every_port_of_the_device():
    prev = sample(100.0, 900_000, port(10**9, 10**6), port(5, 5, if_index=2))
    cur = sample(105.0, 300, port(1000, 10), port(7, 7, if_index=2))
    rates = compute_device_rates(prev, cur, INTERFACES).ports()
    assert {r.status for r in rates} == {RateStatus.DISCONTINUITY}
    assert all("agent restarted" in r.note for r in rates)


def test_a_reboot_seconds_after_the_last_one_is_still_a_reboot():
    prev = sample(100.0, 150, port(10**6, 10**3))
    cur = sample(101.0, 40, port(10, 1))
    (rates,) = compute_device_rates(prev, cur, INTERFACES).ports()
    assert rates.status is RateStatus.DISCONTINUITY and "agent restarted" in rates.note


def test_uptime_that_advanced_far_less_than_our_clock_is_a_restart():
    # Up 50 s before; 300 s later it says 120 s: it restarted 180 s ago, after we last asked.
    prev = sample(100.0, 5000, port(10**6, 10**3))
    cur = sample(400.0, 12000, port(2 * 10**6, 2 * 10**3))
    (rates,) = compute_device_rates(prev, cur, INTERFACES).ports()
    assert rates.status is RateStatus.DISCONTINUITY


def test_sysuptime_wrapping_after_497_days_is_not_a_reboot():
    prev = sample(100.0, 2**32 - 200, port(1000, 10))
    cur = sample(105.0, 300, port(6000, 60))
    (rates,) = compute_device_rates(prev, cur, INTERFACES).ports()
    assert rates.status is RateStatus.OK and rates.inbound.pps == 10.0


def test_changed_discontinuity_time_gives_no_rate():
    rates = compute_port_rates(port(1000, 10, discontinuity=0), port(9000, 90, discontinuity=4455), 5.0, GIGABIT)
    assert rates.status is RateStatus.DISCONTINUITY and "ifCounterDiscontinuityTime" in rates.note


def test_rate_above_line_speed_is_a_glitch_and_not_traffic():
    ten_gigabytes = 10 * 10**9
    rates = compute_port_rates(port(0, 0), port(ten_gigabytes, 1000), 5.0, GIGABIT)
    assert rates.status is RateStatus.GLITCH and rates.inbound is None


def test_32bit_decrease_too_large_for_a_wrap_is_a_reset():
    # From near the top to near the bottom of a 100 Mb/s port's counter in 5 s: impossible as a wrap.
    rates = compute_port_rates(port(3_000_000_000, 10, bits=32), port(2_000_000_000, 20, bits=32), 5.0, 100_000_000)
    assert rates.status is RateStatus.DISCONTINUITY and "too far for a wrap" in rates.note


def test_first_sample_and_new_port_have_no_rate():
    (first,) = compute_device_rates(None, sample(1.0, 100, port(1, 1)), INTERFACES).ports()
    assert first.status is RateStatus.FIRST
    new = compute_port_rates(None, port(1, 1), 5.0, GIGABIT)
    assert new.status is RateStatus.FIRST


def test_slow_32bit_poll_of_a_fast_port_is_marked_ambiguous():
    # 60 s at 10 Gb/s is 75 GB: a 32-bit octet counter can wrap many times unseen.
    rates = compute_port_rates(port(0, 0, bits=32), port(1000, 10, bits=32), 60.0, 10 * GIGABIT)
    assert rates.status is RateStatus.OK and rates.may_have_wrapped_again


@given(
    start=st.integers(0, COUNTER32_MODULO - 1),
    increase=st.integers(0, COUNTER32_MODULO - 1),
)
def test_counter32_delta_recovers_any_single_wrap(start, increase):
    assert delta(start, (start + increase) % COUNTER32_MODULO, 32) == increase


@given(start=st.integers(0, 2**64 - 1), end=st.integers(0, 2**64 - 1))
def test_counter64_delta_is_the_increase_or_a_reset(start, end):
    assert delta(start, end, 64) == (end - start if end >= start else None)


@given(
    prev_octets=st.integers(0, 2**64 - 1), cur_octets=st.integers(0, 2**64 - 1),
    prev_packets=st.integers(0, 2**64 - 1), cur_packets=st.integers(0, 2**64 - 1),
    bits=st.sampled_from([32, 64]), interval=st.floats(0.5, 600), speed=st.sampled_from([0, 10**7, 10**9, 10**11]),
)
def test_rates_are_never_negative_nor_above_line_speed(prev_octets, cur_octets, prev_packets, cur_packets, bits, interval, speed):
    modulo = 2**bits
    before = port(prev_octets % modulo, prev_packets % modulo, bits)
    after = port(cur_octets % modulo, cur_packets % modulo, bits)
    rates = compute_port_rates(before, after, interval, speed)
    if rates.status is not RateStatus.OK:
        assert rates.inbound is None and rates.outbound is None
        return
    for side in (rates.inbound, rates.outbound):
        assert side.bps >= 0 and side.pps >= 0
        if speed:
            assert side.bps <= speed * 1.1 + 1e-6


counter_pairs = st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1),
                          st.integers(0, 2**64 - 1), st.sampled_from([32, 64]), st.sampled_from([None, 0, 7]))


@given(ports=st.lists(counter_pairs, min_size=1, max_size=8), interval=st.floats(0.5, 600),
       speed=st.sampled_from([0, 10**7, 10**9]))
def test_a_device_computed_at_once_equals_each_port_computed_alone(ports, interval, speed):
    """Rows of a device are computed together on arrays: no row may change another's result."""
    befores, afters = [], []
    for if_index, (octets_before, octets_after, packets_before, packets_after, bits, discontinuity) in enumerate(ports, 1):
        modulo = 2**bits
        befores.append(port(octets_before % modulo, packets_before % modulo, bits, discontinuity, if_index))
        afters.append(port(octets_after % modulo, packets_after % modulo, bits, 0 if discontinuity is None else discontinuity + (if_index % 2), if_index))
    interfaces = {p.if_index: InterfaceInfo(p.if_index, "p", "p", "", 6, speed, "", "up") for p in afters}
    prev = DeviceSample.of("sw1", 1000.0, 100_000, 1000.0, {p.if_index: p for p in befores})
    cur = DeviceSample.of("sw1", 1000.0 + interval, 100_000 + round(interval * 100), 1000.0 + interval, {p.if_index: p for p in afters})
    together = compute_device_rates(prev, cur, interfaces).ports()
    assert together == [compute_port_rates(before, after, interval, speed) for before, after in zip(befores, afters)]
