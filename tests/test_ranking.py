"""Ranking on the rate arrays gives flags.rank_ports's order, port for port, without a record per quiet port."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portmap.core.flags import SORT_KEYS, Evidence, FlagKind, PortFlag, rank_ports
from portmap.core.ranking import rank_rates
from portmap.core.rates import SORT_COLUMNS
from portmap.core.rates import DirectionRates, PortRates, RateStatus, by_device

rate = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 250.0, 6000.0]), st.floats(0, 1e7))
EVIDENCE = Evidence("pps", 1.0)
sides = st.builds(DirectionRates.measured, rate, rate, rate, rate, rate, rate)


@st.composite
def polls(draw: st.DrawFn) -> tuple[list[PortRates], dict[tuple[str, int], tuple[PortFlag, ...]], frozenset[tuple[str, int]]]:
    """Ports of up to three devices (ties in every key are likely), some flagged, some uplinks."""
    ports = []
    for device in ("core", "acc1", "acc2")[:draw(st.integers(1, 3))]:
        for if_index in range(1, draw(st.integers(0, 12)) + 1):
            status = draw(st.sampled_from(list(RateStatus)))
            ok = status is RateStatus.OK
            ports.append(PortRates(device, if_index, 5.0, status, "" if ok else "why", draw(sides) if ok else None,
                                   draw(sides) if ok else None, draw(st.sampled_from([0, 10**8, 10**9])), draw(st.booleans())))
    keys = [(p.device, p.if_index) for p in ports]
    flags: dict[tuple[str, int], tuple[PortFlag, ...]] = {}
    for key in draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []:
        kinds = draw(st.lists(st.sampled_from(list(FlagKind)), max_size=2))
        flags[key] = tuple(PortFlag(kind, draw(st.sampled_from(["in", "out"])), draw(st.sampled_from([5000.0, 6000.0, 40_000.0])), EVIDENCE)
                           for kind in kinds)
    flags[("gone", 1)] = (PortFlag(FlagKind.FLAPPING, "both", 3.0, EVIDENCE),)  # a device that did not answer this poll
    uplinks = frozenset(draw(st.lists(st.sampled_from(keys), max_size=3))) if keys else frozenset()
    return ports, flags, uplinks


@given(poll=polls(), sort=st.sampled_from(sorted(SORT_KEYS)))
def test_ranking_on_arrays_equals_ranking_records(poll, sort):
    ports, flags, uplinks = poll
    expected = rank_ports(ports, flags, sort, uplinks=uplinks)
    ranked = rank_rates(by_device(ports), flags, sort, uplinks=uplinks)
    assert list(ranked) == expected
    assert len(ranked) == len(expected)
    assert [ranked[at] for at in range(-len(expected), len(expected))] == expected + expected
    assert ranked[1:-1:2] == expected[1:-1:2]
    assert ranked.flagged == [port for port in expected if port.flagged]


@given(poll=polls())
def test_sort_columns_equal_the_sort_keys_row_by_row(poll):
    ports = poll[0]
    for sort, key in SORT_KEYS.items():
        assert [float(value) for rates in by_device(ports) for value in SORT_COLUMNS[sort](rates.per_second, rates.speed_bps)] == [key(p) for p in ports]
    assert [p.errors_and_discards_ps or 0.0 for p in ports] == [SORT_KEYS["errors"](p) for p in ports], "ERR/S is the errors order"
