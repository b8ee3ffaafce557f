"""Flagging and ranking: the flood's entry port first, its path as one incident, quiet ports alone.

These judge one poll by a fresh detector (no port has a baseline yet: each is compared with the
typical port); tests/test_detector.py follows ports over time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from portmap.core.detector import Detector
from portmap.core.flags import FlagKind, RankedPort, rank_ports
from portmap.core.rates import DirectionRates, PortRates, RateStatus, by_device
from portmap.present.reasons import reason


def rank(ports: Sequence[PortRates], sort: str = "pps", uplinks: Collection[tuple[str, int]] = frozenset()) -> list[RankedPort]:
    detections = Detector().observe(by_device(ports), now=0.0)
    return rank_ports(ports, {k: d.flags for k, d in detections.items()}, sort, uplinks=uplinks)


def side(pps: float, size: float = 500.0, bcast: float = 0.0, errors: float = 0.0) -> DirectionRates:
    return DirectionRates.measured(bps=pps * size * 8, pps=pps, mcast_pps=0.0, bcast_pps=bcast, errors_ps=errors, discards_ps=0.0)


def port(device: str, if_index: int, inbound: DirectionRates, outbound: DirectionRates, speed: int = 10**9) -> PortRates:
    return PortRates(device, if_index, 5.0, RateStatus.OK, inbound=inbound, outbound=outbound, speed_bps=speed)


def quiet_lan() -> list[PortRates]:
    hosts = [port("acc1", i, side(100 + 10 * i), side(150 + 5 * i)) for i in range(1, 11)]
    uplinks = [port("acc1", 101, side(1700), side(1300), 10**10), port("core1", 101, side(1300), side(1700), 10**10)]
    return hosts + uplinks


def test_quiet_network_flags_nothing():
    assert not any(p.flagged for p in rank(quiet_lan()))


def test_flood_origin_ranks_first_and_its_uplinks_join_the_same_incident():
    ports = quiet_lan()
    ports[4] = port("acc1", 5, side(40_000, 60), side(200))
    ports[-2] = port("acc1", 101, side(1700), side(41_600, 70), 10**10)
    ports[-1] = port("core1", 101, side(41_650, 70), side(1700), 10**10)
    ranked = rank(ports)
    first = ranked[0]
    assert (first.rates.device, first.rates.if_index) == ("acc1", 5)
    assert first.flags[0].kind is FlagKind.SMALL_PACKET_FLOOD
    assert reason(first.flags[0]).startswith("sending 40.0k pps of 60 B packets: small-packet flood")
    assert [(p.rates.device, p.rates.if_index, p.same_incident_as) for p in ranked[1:3]] == [
        ("acc1", 101, ("acc1", 5)), ("core1", 101, ("acc1", 5)),
    ]
    assert not any(p.flagged for p in ranked[3:])


def test_first_interval_skew_does_not_move_the_origin_to_an_uplink():
    """Polled a moment apart while a flood starts, an uplink may show less of it than the edge port."""
    ports = quiet_lan()
    ports[4] = port("acc1", 5, side(21_000, 60), side(200))
    ports[-2] = port("acc1", 101, side(1700), side(19_500, 80), 10**10)
    ports[-1] = port("core1", 101, side(19_800, 80), side(1700), 10**10)
    ranked = rank(ports)
    assert (ranked[0].rates.device, ranked[0].rates.if_index) == ("acc1", 5)
    assert {p.same_incident_as for p in ranked[1:3]} == {("acc1", 5)}


def test_known_uplinks_are_never_the_entry_port():
    """Even when an uplink's return direction happens to be the quietest, the edge port is the entry."""
    ports = quiet_lan()
    ports[4] = port("acc1", 5, side(40_000, 60), side(2500))
    ports[-1] = port("core1", 101, side(41_000, 70), side(1700), 10**10)
    assert (rank(ports)[0].rates.device, rank(ports)[0].rates.if_index) == ("core1", 101)
    ranked = rank(ports, uplinks={("core1", 101), ("acc1", 101)})
    assert (ranked[0].rates.device, ranked[0].rates.if_index) == ("acc1", 5)
    assert ranked[1].same_incident_as == ("acc1", 5)


def test_a_port_flooded_both_ways_is_listed_once():
    ports = quiet_lan() + [port("acc1", 11, side(30_000, 60), side(30_000, 60))]
    ranked = rank(ports)
    assert len(ranked) == len(ports)
    assert ranked[0].rates.if_index == 11 and ranked[0].flagged


def test_broadcast_storm_and_error_burst_are_named():
    ports = quiet_lan()
    ports[2] = port("acc1", 3, side(3000, 64, bcast=2500), side(100))
    ports[3] = port("acc1", 4, side(120, errors=400), side(100))
    kinds = {(p.rates.if_index, f.kind) for p in rank(ports) for f in p.flags}
    assert kinds == {(3, FlagKind.BROADCAST_STORM), (4, FlagKind.ERROR_BURST)}


def test_saturated_port_is_flagged():
    ports = quiet_lan() + [port("acc1", 12, side(80_000, 1500), side(100), 10**9)]
    flagged = [p for p in rank(ports, sort="util") if p.flagged]
    assert {f.kind for p in flagged for f in p.flags} >= {FlagKind.SATURATION}


def test_ports_without_rates_are_never_flagged():
    ports = quiet_lan() + [PortRates("acc1", 13, 5.0, RateStatus.DISCONTINUITY, "agent restarted")]
    ranked = rank(ports)
    assert ranked[-1].rates.if_index == 13 and not ranked[-1].flagged


def test_in_a_small_network_a_flood_never_becomes_the_typical_port():
    """The lab with one switch not answering: the flood was on half of the busy ports. Idle ports count."""
    idle = [port("sw1", i, side(0), side(0)) for i in (1, 2, 3)] + [port("rtr1", 1, side(0), side(0))]
    busy = [port("sw1", 10, side(11), side(11)), port("rtr1", 10, side(6), side(6)),
            port("sw1", 4, side(0), side(19_500, 54)), port("sw1", 5, side(19_450, 54), side(0)),
            port("rtr1", 2, side(19_600, 54), side(0))]
    ranked = rank(idle + busy, uplinks={("sw1", 4), ("rtr1", 2)})
    assert (ranked[0].rates.device, ranked[0].rates.if_index) == ("sw1", 5)
    assert ranked[0].flags[0].kind is FlagKind.SMALL_PACKET_FLOOD
    assert {p.same_incident_as for p in ranked[1:3]} == {("sw1", 5)}


def test_while_a_flood_starts_the_edge_port_ranks_above_a_far_link_that_already_shows_more():
    """The switch was polled early in the flood's first interval, the router late: the router's port
    shows twice the edge port's rate, too far apart to be one incident yet. The edge port leads."""
    ports = quiet_lan()
    ports[4] = port("acc1", 5, side(8_000, 54), side(200))
    ports[-1] = port("core1", 101, side(18_500, 54), side(1700), 10**10)
    ranked = rank(ports, uplinks={("core1", 101), ("acc1", 101)})
    assert (ranked[0].rates.device, ranked[0].rates.if_index) == ("acc1", 5)
    assert ranked[0].flags[0].kind is FlagKind.SMALL_PACKET_FLOOD
