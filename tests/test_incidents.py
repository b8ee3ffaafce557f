"""The incident log: flagged stretches of one port less than 10 minutes apart are one incident's
occurrences; an incident that ended stays listed for an hour; carriers and busy ports are none."""

from __future__ import annotations

from portmap.core.flags import Evidence, FlagKind, PortFlag, RankedPort
from portmap.core.alerts import AlertLog
from portmap.core.incidents import Incident, IncidentLog, Occurrence
from portmap.core.rates import PortRates, RateStatus

PORT = ("acc2", 9)


def flagged(pps: float, kind: FlagKind = FlagKind.SMALL_PACKET_FLOOD, port: tuple[str, int] = PORT,
            carrying: tuple[str, int] | None = None, direction: str = "in") -> RankedPort:
    flag = PortFlag(kind, direction, pps, Evidence("pps", pps, avg_pkt_bytes=54.0))
    return RankedPort(PortRates(port[0], port[1], 5.0, RateStatus.OK), (flag,), carrying)


def test_bursts_minutes_apart_are_one_incident_and_an_hour_later_it_is_gone():
    log = IncidentLog()

    def burst(at: float, pps: float) -> tuple[Incident, ...]:
        return log.observe([flagged(pps)], {PORT}, at)

    def quiet(at: float) -> None:
        log.observe([flagged(4_000.0)], set(), at)  # still shown, waiting out its quiet polls
    burst(100.0, 4_000.0)
    burst(105.0, 9_000.0)
    quiet(110.0)
    (incident,) = burst(300.0, 3_000.0)
    assert incident.ongoing and [(o.start, o.end, o.polls, o.peak) for o in incident.occurrences] == [
        (100.0, 105.0, 2, 9_000.0), (300.0, 300.0, 1, 3_000.0)]
    (ended,) = log.observe([], set(), 305.0)
    assert not ended.ongoing and ended.last_seen == 300.0
    (again,) = burst(300.0 + 601.0, 5_000.0)  # more than 10 minutes after the last: a new incident
    assert len(again.occurrences) == 1 and again.start == 901.0
    assert log.observe([], set(), 905.0)[0].ongoing is False
    assert log.observe([], set(), 901.0 + 3601.0) == ()


def test_carriers_and_ports_busy_since_start_make_no_incident_of_their_own():
    log = IncidentLog()
    shown = log.observe([flagged(4_000.0), flagged(4_100.0, port=("core1", 102), carrying=PORT),
                         flagged(20_000.0, FlagKind.BUSY_SINCE_START, port=("acc1", 7))], {PORT, ("core1", 102), ("acc1", 7)}, 10.0)
    assert [incident.port for incident in shown] == [PORT]


def test_an_uplink_flagged_apart_while_an_edge_port_has_an_incident_carries_it():
    """Agents that cache counters show a burst on the router at another moment (seen in the namespace lab)."""
    log, uplink = IncidentLog(), ("rtr1", 1)
    log.observe([flagged(4_000.0)], {PORT}, 10.0, {uplink})
    shown = log.observe([flagged(2_000.0, port=uplink)], {uplink}, 15.0, {uplink})
    assert [incident.port for incident in shown] == [PORT]


def test_a_flood_seen_where_it_passes_a_poll_before_its_entry_is_the_entrys_incident_and_alone_for_two_polls_its_own():
    """Devices are read moments apart as a flood begins: the uplinks it crosses, or the router's
    port to the ISP it leaves by, can show it a poll before the edge port it came in by (seen in CI)."""
    uplink, isp = ("acc1", 101), ("rtr1", 2)
    log = IncidentLog()
    assert log.observe([flagged(5_000.0, port=uplink), flagged(5_000.0, port=isp, direction="out")], {uplink, isp}, 10.0, {uplink}) == ()
    shown = log.observe([flagged(9_000.0), flagged(9_000.0, port=uplink, carrying=PORT), flagged(9_000.0, port=isp, carrying=PORT, direction="out")],
                        {PORT, uplink, isp}, 11.0, {uplink})
    assert [(i.port, i.start) for i in shown] == [(PORT, 11.0)]
    for alone in (uplink, isp):  # still alone a poll later: a flood from a device not read, or from outside to a host
        log = IncidentLog()
        side = "in" if alone == uplink else "out"
        assert log.observe([flagged(5_000.0, port=alone, direction=side)], {alone}, 10.0, {uplink}) == ()
        (incident,) = log.observe([flagged(6_000.0, port=alone, direction=side)], {alone}, 11.0, {uplink})
        assert (incident.port, incident.start, incident.occurrences[0].polls, incident.occurrences[0].peak) == (alone, 10.0, 2, 6_000.0)
    log = IncidentLog()
    log.observe([flagged(5_000.0, port=isp, direction="out")], {isp}, 10.0)
    assert log.observe([], set(), 11.0) == () and log.observe([flagged(5_000.0, port=isp, direction="out")], {isp}, 12.0) == (), \
        "a poll between them without it: not two polls in a row"
    assert [i.port for i in IncidentLog().observe([flagged(5_000.0, port=isp)], {isp}, 10.0)] == [isp], "a flood coming in is an incident at once"


def _incident(port: tuple[str, int], stretches: list[tuple[float, float, int, float]], ongoing: bool) -> Incident:
    occurrences = tuple(Occurrence(start, end, polls, peak, "pps", 60.0) for start, end, polls, peak in stretches)
    return Incident(port, (FlagKind.SMALL_PACKET_FLOOD,), occurrences, ongoing)


def test_an_incident_is_told_when_it_opens_grows_at_most_every_few_minutes_closes_and_never_when_silenced():
    alerts = AlertLog(updates_every_s=300, silenced=["acc2 Gi1/0/9"])
    web1, printer = ("acc1", 5), ("acc2", 9)
    name = {web1: "acc1 Gi1/0/5", printer: "acc2 Gi1/0/9"}.__getitem__

    def states(incidents: list[Incident], now: float) -> list[str]:
        return [f"{event.state} {event.incident.port[0]}" for event in alerts.events(incidents, name, now)]

    assert states([_incident(web1, [(0, 0, 1, 9e3)], True), _incident(printer, [(0, 0, 1, 4e3)], True)], 0) == ["opened acc1"]
    assert states([_incident(web1, [(0, 5, 2, 9e3)], True)], 5) == []  # the same stretch, no higher
    assert states([_incident(web1, [(0, 5, 2, 9e3), (60, 60, 1, 12e3)], True)], 60) == []  # grew, told a minute ago
    assert states([_incident(web1, [(0, 5, 2, 9e3), (60, 65, 2, 12e3), (400, 400, 1, 9e3)], True)], 400) == ["updated acc1"]
    assert states([_incident(web1, [(0, 5, 2, 9e3), (60, 65, 2, 12e3), (400, 405, 2, 9e3)], False)], 420) == ["closed acc1"]
    assert states([_incident(web1, [(0, 5, 2, 9e3), (60, 65, 2, 12e3), (400, 405, 2, 9e3)], False)], 425) == []
