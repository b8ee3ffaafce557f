"""The detector over scripted scenarios in virtual time: every event flagged in the first interval
after it starts, nothing flagged in two hours of normal traffic, reboots and resets included."""

from __future__ import annotations

import math
from collections.abc import Callable

from portmap.core import detector as detector_module
from portmap.core.detector import Detector
from portmap.core.flags import FlagKind
from portmap.core.identity import unnamed
from portmap.core.thresholds import FlagThresholds
from portmap.core.rates import DeviceRates, DirectionRates, PortRates, RateStatus, by_device
from portmap.core.samples import DeviceSample, PortCounters
from portmap.present.reasons import reason
from tests.helpers import report
from tests.virtual_time import (
    DEVICE, Flow, Poller, Profile, VirtualSwitch, flagged, office_port, run, steady_port, with_event,
)

HOUR = 3600
FLOOD_AT = 1800 + 2  # mid-interval, as events really start
PORTS = range(1, 11)


def office() -> dict[int, Profile]:
    return {i: office_port(seed=i, pps=50.0 * i) for i in PORTS}


def syn_flood(second: int, normal: tuple[Flow, Flow]) -> tuple[Flow, Flow]:
    return Flow(40_000, 60), normal[1]


def first_flag(timeline, port: int, kind: FlagKind, after: int) -> int | None:
    for second, detections in timeline:
        detection = detections.get((DEVICE, port))
        if second > after and detection and kind in [f.kind for f in detection.flags]:
            return second
    return None


def transfer(data_pps: float, sending: bool) -> Callable[[int, tuple[Flow, Flow]], tuple[Flow, Flow]]:
    """A TCP transfer: data in 1,400 B packets one way (`sending`: from the host), an ACK every two back."""
    def flows(second: int, normal: tuple[Flow, Flow]) -> tuple[Flow, Flow]:
        data, acks = Flow(data_pps, 1400), Flow(data_pps / 2, 66)
        return (data, acks) if sending else (acks, data)
    return flows


IDLE_PCS = range(11, 15)
"""Ports of PCs that are mostly idle (2 pps), where an update download's ACKs are 900x their normal."""


def office_with_bursts() -> dict[int, Profile]:
    """The office, with bursty but legitimate traffic: a backup starting (port 2, 20 minutes at
    450 Mb/s), a VM migration (port 4, 90 s at 780 Mb/s), and an update wave that the idle PCs
    download one after another (ports 11-14, 3 minutes each at 40 Mb/s)."""
    profiles = {**office(), **{i: office_port(seed=i, pps=2.0) for i in IDLE_PCS}}
    profiles[2] = with_event(profiles[2], 1200 + 3, 1200 + 3 + 1200, transfer(40_000, sending=True))
    profiles[4] = with_event(profiles[4], 3000 + 1, 3000 + 91, transfer(70_000, sending=True))
    for n, pc in enumerate(IDLE_PCS):
        profiles[pc] = with_event(profiles[pc], 4000 + 47 * n, 4000 + 47 * n + 180, transfer(3_500, sending=False))
    return profiles


def test_two_hours_of_office_traffic_with_a_counter_reset_and_a_reboot_raise_nothing():
    switch = VirtualSwitch(office_with_bursts())
    timeline = run(switch, 2 * HOUR, actions={2400: lambda s: s.clear_counters(3), 4800: lambda s: s.reboot()})
    assert flagged(timeline) == []
    report(f"detector, 2 simulated hours x {len(switch.profiles)} ports with swings, bursts, a backup starting, a VM migration, "
           f"an update wave, a counter reset and a reboot: {len(timeline)} polls, 0 flags")


def test_a_large_packet_flood_with_nothing_coming_back_is_still_a_flood():
    profiles = office()
    profiles[2] = with_event(profiles[2], FLOOD_AT, FLOOD_AT + 60, lambda s, n: (Flow(40_000, 1400), Flow(5, 66)))
    assert first_flag(run(VirtualSwitch(profiles), 2400), 2, FlagKind.PACKET_FLOOD, FLOOD_AT) == FLOOD_AT - FLOOD_AT % 5 + 5


def test_short_syn_bursts_on_a_quiet_port_are_each_flagged_within_one_interval():
    """2 s bursts of 10k pps of 54 B, 20 s apart, on a port whose normal is about 0.3 pps: averaged
    over 5 s intervals each showed as about 4,000 pps, under the 5,000 pps floor, and none was flagged."""
    profiles = {**office(), 11: office_port(seed=11, pps=0.3)}
    starts = [FLOOD_AT + 20 * n for n in range(3)]
    for start in starts:
        profiles[11] = with_event(profiles[11], start, start + 2, lambda s, n: (Flow(10_000, 54), n[1]))
    timeline = run(VirtualSwitch(profiles), 2400)
    for start in starts:
        assert first_flag(timeline, 11, FlagKind.SMALL_PACKET_FLOOD, start) - start <= 5
    assert {key for _, key, _ in flagged(timeline)} == {(DEVICE, 11)}


def test_bursts_that_each_begin_just_before_a_poll_are_each_flagged_their_slivers_never_taught():
    """4 s bursts of 2,000 pps of 54 B every 20 s, each starting a second before a poll, from the
    port's first interval on: each shows first as a 400 pps sliver (under the floor), then 1,200.
    Taught, the slivers were the only intervals the port learned (its quiet ones fall in the
    episode), and from the third burst on the young level they made (400) hid the bursts."""
    profiles = {**{i: office_port(seed=i, pps=3.0) for i in PORTS}, 11: office_port(seed=11, pps=0.3)}
    starts = [9 + 20 * n for n in range(6)]
    for start in starts:
        profiles[11] = with_event(profiles[11], start, start + 4, lambda s, n: (Flow(2_000, 54), n[1]))
    timeline = run(VirtualSwitch(profiles), 150)
    assert [first_flag(timeline, 11, FlagKind.SMALL_PACKET_FLOOD, start) for start in starts] == [start + 6 for start in starts]
    assert {key for _, key, _ in flagged(timeline)} == {(DEVICE, 11)}


def test_a_reboot_neither_flags_nor_poisons_the_baseline():
    rebooted, undisturbed = Detector(), Detector()
    run(VirtualSwitch(office()), HOUR, actions={2400: lambda s: s.reboot()}, detector=rebooted)
    run(VirtualSwitch(office()), HOUR, detector=undisturbed)
    for port in PORTS:
        series = (DEVICE, unnamed(port), "in", "pps")
        assert abs(rebooted.baselines[series].level - undisturbed.baselines[series].level) <= 0.1 * undisturbed.baselines[series].level


def test_a_syn_flood_is_flagged_in_its_first_interval_against_the_ports_own_normal_and_clears_after_it():
    profiles = office()
    profiles[5] = with_event(profiles[5], FLOOD_AT, FLOOD_AT + 120, syn_flood)
    timeline = run(VirtualSwitch(profiles), 2700)
    assert first_flag(timeline, 5, FlagKind.SMALL_PACKET_FLOOD, FLOOD_AT) == FLOOD_AT - FLOOD_AT % 5 + 5
    at = dict(timeline)[FLOOD_AT - FLOOD_AT % 5 + 10][(DEVICE, 5)]
    assert at.since == FLOOD_AT - FLOOD_AT % 5 + 5
    assert "its normal" in reason(at.flags[0]) and reason(at.flags[0]).startswith("sending 40.0k pps of 60 B packets")
    flags = flagged(timeline)
    assert {key for _, key, _ in flags} == {(DEVICE, 5)}, "no other port is flagged"
    last = max(second for second, _, _ in flags)
    assert FLOOD_AT + 120 <= last <= FLOOD_AT + 120 + 5 * 4, "cleared within the quiet intervals after the flood"


def test_a_flood_that_eases_but_stays_high_stays_flagged_then_clears():
    profiles = office()
    profiles[5] = with_event(profiles[5], FLOOD_AT, FLOOD_AT + 300,
                             lambda s, n: (Flow(40_000 if s < FLOOD_AT + 60 else 4_000, 60), n[1]))
    timeline = run(VirtualSwitch(profiles), 2400)
    flagged_seconds = [second for second, key, _ in flagged(timeline) if key == (DEVICE, 5)]
    start = FLOOD_AT - FLOOD_AT % 5 + 5
    assert flagged_seconds == list(range(start, flagged_seconds[-1] + 5, 5)), "one unbroken episode"
    assert FLOOD_AT + 300 <= flagged_seconds[-1] <= FLOOD_AT + 300 + 20, "4k pps (below the raising floor) held it"


def test_a_broadcast_storm_an_error_burst_and_a_ramp_to_saturation_are_each_named():
    profiles = office()
    profiles[3] = with_event(profiles[3], FLOOD_AT, FLOOD_AT + 60, lambda s, n: (Flow(3_000, 64, bcast_share=1.0), n[1]))
    profiles[6] = with_event(profiles[6], FLOOD_AT, FLOOD_AT + 60, lambda s, n: (Flow(n[0].pps, n[0].size, errors_ps=400), n[1]))
    ramp_from, ramp_to, low = 600, 600 + 1800, 0.005  # 30 minutes from 0.5 % (its normal) to 98 % of a gigabit

    def ramp(second: int, normal: tuple[Flow, Flow]) -> tuple[Flow, Flow]:
        share = low + (0.98 - low) * min(1.0, (second - ramp_from) / (ramp_to - ramp_from))
        return Flow(share * 1e9 / 8 / 1200, 1200), normal[1]

    profiles[8] = with_event(profiles[8], ramp_from, 2 * HOUR, ramp)
    timeline = run(VirtualSwitch(profiles), 2700)
    first_interval = FLOOD_AT - FLOOD_AT % 5 + 5
    assert first_flag(timeline, 3, FlagKind.BROADCAST_STORM, FLOOD_AT) == first_interval
    assert first_flag(timeline, 6, FlagKind.ERROR_BURST, FLOOD_AT) == first_interval
    saturated_at = ramp_from + (0.90 - low) / (0.98 - low) * (ramp_to - ramp_from)
    assert saturated_at < first_flag(timeline, 8, FlagKind.SATURATION, ramp_from) <= saturated_at + 10
    kinds_on_ramp = {kind for _, key, kinds in flagged(timeline) if key == (DEVICE, 8) for kind in kinds}
    assert kinds_on_ramp == {FlagKind.SATURATION}, "a slow ramp is no flood"


def test_an_agent_that_caches_counters_for_15s_polled_every_5s_is_no_spike_but_a_flood_still_is():
    quiet = run(VirtualSwitch(office(), cache_s=15), 2 * HOUR)
    assert flagged(quiet) == []
    profiles = office()
    profiles[5] = with_event(profiles[5], FLOOD_AT, FLOOD_AT + 120, syn_flood)
    timeline = run(VirtualSwitch(profiles, cache_s=15), 2700)
    shown_at = FLOOD_AT - FLOOD_AT % 15 + 15  # the first cache refresh after the flood starts
    assert first_flag(timeline, 5, FlagKind.SMALL_PACKET_FLOOD, FLOOD_AT) == shown_at
    report("detector, agent caching counters 15 s polled every 5 s: 2 simulated hours, 0 flags; "
           f"a flood flagged at the first refresh showing it ({shown_at - FLOOD_AT}s after it began)")


def test_the_catching_up_interval_of_a_caching_agent_is_no_spike_even_to_a_tight_threshold():
    """Steady ports watched with a 2.5x threshold, whose agent starts caching its counters for 15 s
    (a firmware upgrade; or the poll interval was shortened): the 0, 0, 3x pattern would be a spike
    every 15 s against the narrow baseline they have learned, if judged interval by interval."""
    tight = FlagThresholds(min_flood_pps=1_000, outlier_ratio=2.5, min_score=3)
    switch = VirtualSwitch({i: steady_port(seed=i, pps=2_000) for i in PORTS})
    poller = Poller(switch, detector=Detector(tight))
    assert flagged(poller.until(1800)) == []
    switch.cache_s = 15
    assert flagged(poller.until(HOUR)) == []
    switch.profiles[5] = with_event(switch.profiles[5], HOUR + 2, HOUR + 120, syn_flood)
    timeline = poller.until(HOUR + 300)
    assert first_flag(timeline, 5, FlagKind.SMALL_PACKET_FLOOD, HOUR) == HOUR + 15


def test_a_flapping_port_is_named():
    switch = VirtualSwitch(office())
    poller = Poller(switch)
    assert flagged(poller.until(600)) == []
    for step, status in enumerate(["down", "up", "down", "up"]):
        switch.oper[7] = status
        timeline = poller.until(600 + 10 * (step + 1))
    (_, detections) = timeline[-1]
    (flag,) = detections[(DEVICE, 7)].flags
    assert flag.kind is FlagKind.FLAPPING and reason(flag).startswith("flapping: oper status changed 4 times")
    later = poller.until(600 + 60)
    assert {detections[(DEVICE, 7)].since for _, detections in later} == {605.0}, "since: the poll that saw its first change"


def test_flapping_counts_while_interfaces_come_and_go_and_a_silent_device_keeps_its_last_status():
    def sample(statuses: dict[int, str]) -> DeviceSample:
        return DeviceSample.of("sw1", 0.0, 0, 0.0, {i: PortCounters(i, status, None, {}) for i, status in statuses.items()})

    detector = Detector()
    polls = [{1: "up", 2: "up"}, {1: "down", 2: "up", 3: "up"}, {1: "up", 3: "down"}, {1: "down", 2: "up", 3: "down"}]
    detections = [detector.observe([], 10.0 * n, [sample(statuses)]) for n, statuses in enumerate(polls)]
    assert [set(found) for found in detections] == [set(), set(), set(), {("sw1", 1)}]
    assert reason(detections[-1][("sw1", 1)].flags[0]) == "flapping: oper status changed 3 times in 1 min, now down"
    last = sample(polls[-1])
    assert detector.observe([], 40.0, [last])[("sw1", 1)].flags == detector.observe([], 50.0, [last])[("sw1", 1)].flags, \
        "no answer, no change counted"
    assert ("sw1", 1) not in detector.observe([], 400.0, [last]), "the changes left the window"


def test_judging_a_poll_device_group_by_device_group_changes_nothing(monkeypatch):
    """Big polls are judged on arrays a few thousand ports at a time (detector.CHUNK_PORTS):
    the flags and what every baseline learns are those of judging the whole poll at once."""
    def poll(number: int) -> list[DeviceRates]:
        ports = []
        for device in range(6):
            for if_index in range(1, 5):
                pps = 100.0 + (device * 37 + if_index * 11 + number * 7) % 300
                inbound = DirectionRates.measured(pps * 4000, pps, 1.0, 2.0, 0.0, 0.0)
                if (device, if_index) == (3, 2) and number >= 20:
                    inbound = DirectionRates.measured(40_000 * 480.0, 40_000.0, 0.0, 0.0, 0.0, 0.0)
                ports.append(PortRates(f"sw{device}", if_index, 5.0, RateStatus.OK, inbound=inbound,
                                       outbound=DirectionRates.measured(pps * 8000, pps, 1.0, 2.0, 0.0, 0.0), speed_bps=10**9))
        return by_device(ports)

    whole, grouped = Detector(), Detector()
    expected = [whole.observe(poll(n), 5.0 * n) for n in range(30)]
    monkeypatch.setattr(detector_module, "CHUNK_PORTS", 5)
    assert [grouped.observe(poll(n), 5.0 * n) for n in range(30)] == expected
    assert list(grouped.baselines.items()) == list(whole.baselines.items())
    assert any(("sw3", 2) in detections for detections in expected), "the slow path ran too"


def busy_office(event: Callable[[int, tuple[Flow, Flow]], tuple[Flow, Flow]], start: int = 0) -> dict[int, Profile]:
    """The office with port 5 sending `event`'s traffic from `start` on, and the others about 100 pps."""
    profiles = {i: office_port(seed=i, pps=100.0) for i in PORTS}
    profiles[5] = with_event(profiles[5], start, 2 * HOUR, event)
    return profiles


def kinds_on(timeline, port: int) -> list[tuple[int, list[FlagKind]]]:
    return [(second, kinds) for second, key, kinds in flagged(timeline) if key == (DEVICE, port)]


def test_a_steady_large_packet_transfer_running_at_start_is_busy_since_start_then_its_normal():
    """A backup at 20k pps of 1,400 B packets while the others send 100: "200x the typical port"
    every poll for as long as portmap ran, since flagged intervals never taught it."""
    timeline = run(VirtualSwitch(busy_office(lambda s, n: (Flow(20_000 * (1 + 0.05 * math.sin(s)), 1400), n[1]))), HOUR)
    seen = kinds_on(timeline, 5)
    limits = FlagThresholds()
    assert seen and {kind for _, kinds in seen for kind in kinds} == {FlagKind.BUSY_SINCE_START}
    assert seen[-1][0] <= 5 * (1 + limits.warmup_samples + limits.clear_after), "learned over the warm-up, then cleared"
    first = dict(timeline)[seen[0][0]][(DEVICE, 5)].flags[0]
    assert reason(first).startswith("busy since start: sending 20") and "the typical port" in reason(first)
    assert flagged(timeline) == [(s, (DEVICE, 5), k) for s, k in seen], "no other port"


def test_a_syn_flood_running_at_start_stays_flagged_and_a_large_packet_jump_during_the_warm_up_is_a_flood():
    syn = run(VirtualSwitch(busy_office(lambda s, n: (Flow(20_000, 60), n[1]))), HOUR)
    assert [kinds for _, kinds in kinds_on(syn, 5)] == [[FlagKind.SMALL_PACKET_FLOOD]] * (HOUR // 5 - 1)
    jump = run(VirtualSwitch(busy_office(lambda s, n: (Flow(20_000, 1400), n[1]), start=22)), 600)
    assert {kind for _, kinds in kinds_on(jump, 5) for kind in kinds} == {FlagKind.PACKET_FLOOD}
    assert kinds_on(jump, 5)[-1][0] == 600, "never learned: still flagged"


def test_a_port_the_operator_accepts_learns_its_traffic_at_once_and_is_no_longer_flagged():
    poller = Poller(VirtualSwitch(busy_office(lambda s, n: (Flow(20_000, 60), n[1]))))
    before = poller.until(300)
    assert kinds_on(before, 5)[-1] == (300, [FlagKind.SMALL_PACKET_FLOOD])
    poller.detector.accept((DEVICE, 5))
    after = poller.until(HOUR)
    assert kinds_on(after, 5) == []
    assert 19_000 <= poller.detector.baselines[(DEVICE, unnamed(5), "in", "pps")].level <= 21_000


def test_a_flood_that_starts_mid_interval_does_not_teach_its_partial_first_interval():
    """1,000 pps, then 12,000 from mid-interval: the first interval shows 6,500 (6.5x, under the
    10x ratio). Taught, it raised the normal enough that 12,000 was under 10x of it, and the flood
    was never flagged."""
    switch = VirtualSwitch({**{i: steady_port(seed=i, pps=100.0) for i in PORTS}, 5: steady_port(seed=5, pps=1_000.0)})
    switch.profiles[5] = with_event(switch.profiles[5], FLOOD_AT, FLOOD_AT + 120, lambda s, n: (Flow(12_000, 400), n[1]))
    timeline = run(switch, 2400)
    assert first_flag(timeline, 5, FlagKind.PACKET_FLOOD, FLOOD_AT) == FLOOD_AT - FLOOD_AT % 5 + 10
