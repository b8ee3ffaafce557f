"""Which devices each poller of a shared store takes (core/leases.py), round after round, as the
pollers would run them against one lease table: every device held by exactly one poller, the
load even, a dead poller's devices taken, a poller coming back served without devices moving
back and forth, and poller groups honoured."""

from __future__ import annotations

from collections import Counter

from portmap.core.leases import LeaseSeen, PollerSeen, fair_share, plan_leases

ROUND_S, TTL_S = 0.5, 1.5


class Table:
    """The lease table and the pollers' heartbeats, as the store keeps them."""

    def __init__(self, devices: dict[str, tuple[str, ...]]) -> None:
        self.devices = devices
        self.leases: dict[str, LeaseSeen] = {}
        self.pollers: dict[str, PollerSeen] = {}
        self.moves = 0
        """Devices taken that another poller had polled before."""
        self.ever: set[str] = set()

    def round(self, name: str, groups: tuple[str, ...], now: float) -> None:
        """One lease round of a poller, as engine/store/leases.py runs it (a handover released at once)."""
        started = self.pollers[name].started_at if name in self.pollers else now
        self.pollers[name] = PollerSeen(name, groups, started, now)
        for device, lease in self.leases.items():
            if lease.poller == name:
                self.leases[device] = LeaseSeen(device, name, now + TTL_S)
        alive = [p for p in self.pollers.values() if p.heartbeat_at > now - TTL_S]
        plan = plan_leases(self.pollers[name], alive, list(self.leases.values()), self.devices, now, ROUND_S)
        for device in plan.release:
            del self.leases[device]
        for device in plan.take:
            lease = self.leases.get(device)
            assert lease is None or lease.expires_at <= now, f"{name} took {device}, held by {lease.poller}"
            self.moves += lease is not None or device in self.ever
            self.leases[device] = LeaseSeen(device, name, now + TTL_S)
        self.ever |= set(plan.take)

    def held(self, now: float) -> Counter[str]:
        return Counter(lease.poller for lease in self.leases.values() if lease.expires_at > now)

    def run(self, pollers: dict[str, tuple[str, ...]], start: float, rounds: int) -> float:
        now = start
        for _ in range(rounds):
            now += ROUND_S
            for name, groups in pollers.items():
                self.round(name, groups, now)
        return now


DEVICES = {f"sw{n:02}": () for n in range(10)}


def test_three_pollers_split_the_devices_evenly_each_held_once():
    table = Table(DEVICES)
    now = table.run({"a": (), "b": (), "c": ()}, 0.0, 12)
    assert sorted(table.held(now).values()) == [3, 3, 4] and sum(table.held(now).values()) == len(DEVICES)


def test_a_dead_pollers_devices_are_taken_within_its_leases_life_and_one_round():
    table = Table(DEVICES)
    now = table.run({"a": (), "b": (), "c": ()}, 0.0, 12)
    died_at = now
    for rounds in range(1, 10):
        now = table.run({"a": (), "b": ()}, now, 1)
        if sum(table.held(now).values()) == len(DEVICES) and "c" not in table.held(now):
            break
    assert now - died_at <= TTL_S + ROUND_S, now - died_at
    assert sorted(table.held(now).values()) == [5, 5]


def test_a_poller_that_comes_back_gets_its_share_once_settled_and_nothing_flaps():
    table = Table(DEVICES)
    now = table.run({"a": (), "b": ()}, 0.0, 8)
    assert sorted(table.held(now).values()) == [5, 5]
    moves_before = table.moves
    now = table.run({"a": (), "b": (), "c": ()}, now, 2)  # not settled yet: nothing handed over
    assert table.held(now)["c"] == 0
    now = table.run({"a": (), "b": (), "c": ()}, now, 20)
    assert sorted(table.held(now).values()) == [3, 3, 4]
    handed = table.moves - moves_before
    assert handed == table.held(now)["c"]  # each device moved once, to the newcomer, never between a and b
    now = table.run({"a": (), "b": (), "c": ()}, now, 40)
    assert table.moves - moves_before == handed  # then still


def test_a_thousand_devices_the_first_poller_took_spread_in_a_few_rounds_nearly_each_moving_once():
    table = Table({f"sw{n:04}": () for n in range(1000)})
    now = table.run({"a": ()}, 0.0, 2)
    assert table.held(now) == Counter({"a": 1000})
    now = table.run({"a": (), "b": (), "c": ()}, now, 3 + 4)  # settled after 3 rounds, then at most 4 rounds
    assert sorted(table.held(now).values()) == [333, 333, 334] and 666 <= table.moves <= 670, (table.held(now), table.moves)


def test_a_poller_restarting_in_a_loop_never_takes_a_held_device():
    table = Table(DEVICES)
    now = table.run({"a": (), "b": ()}, 0.0, 8)
    settled_moves = table.moves
    for _ in range(10):  # c lives 2 rounds, dies, comes back under the same name after its row went stale
        now = table.run({"a": (), "b": (), "c": ()}, now, 2)
        now = table.run({"a": (), "b": ()}, now, 4)
        table.pollers.pop("c")
    assert table.held(now) == Counter({"a": 5, "b": 5}) and table.moves == settled_moves


def test_poller_groups_pin_devices_to_their_site():
    devices = {**{f"a{n}": ("site-a",) for n in range(4)}, **{f"b{n}": ("site-b",) for n in range(6)}}
    table = Table(devices)
    now = table.run({"pa1": ("site-a",), "pa2": ("site-a",), "pb": ("site-b",)}, 0.0, 12)
    by_poller = {p: sorted(d for d, lease in table.leases.items() if lease.poller == p) for p in ("pa1", "pa2", "pb")}
    assert by_poller["pb"] == sorted(f"b{n}" for n in range(6))
    assert sorted(by_poller["pa1"] + by_poller["pa2"]) == [f"a{n}" for n in range(4)] and len(by_poller["pa1"]) == 2
    assert fair_share(table.pollers["pb"], list(table.pollers.values()), devices) == 6
    now = table.run({"pa1": ("site-a",), "pa2": ("site-a",)}, now, 10)  # site b's poller died: nobody else may poll b
    assert all(lease.poller == "pb" for d, lease in table.leases.items() if d.startswith("b"))
    assert table.held(now)["pb"] == 0


def test_a_taker_continues_from_the_givers_baselines_and_flagged_episode(tmp_path):
    """The store's baselines (engine/store/baselines.py) carry a device from one poller's detector
    to another's: the taker judges it by what the giver learned, newer values replacing what the
    taker held from an earlier turn; the giver's other devices and old episodes stay out."""
    from portmap.core.baseline import Baseline
    from portmap.core.detector import Detector
    from portmap.engine.store import baselines
    from portmap.engine.store.store import Store

    learned = {("acc1", "Gi1/0/5", "in", "pps"): Baseline(250.0, 31.5, 40, 1_000_000.0),
               ("acc2", "Gi1/0/1", "in", "pps"): Baseline(90.0, 9.0, 40, 1_000_000.0)}
    with Store(tmp_path / "history.sqlite", writer=True) as store:
        with store.transaction() as connection:
            baselines.save(connection, learned.items(), {"acc1"}, [(("acc1", "Gi1/0/5"), 999_990.0), (("acc2", "x"), 1.0)],
                           1_000_000.0)
        with store.transaction() as connection:
            series, since = baselines.load(connection, {"acc1"}, 1_000_010.0)
        assert series == {("acc1", "Gi1/0/5", "in", "pps"): learned[("acc1", "Gi1/0/5", "in", "pps")]}
        assert since == {("acc1", "Gi1/0/5"): 999_990.0}
        taker = Detector()
        taker.baselines.slot(("acc1", "Gi1/0/5"))  # held from an earlier turn: replaced by the newer value
        taker.take_over(series, since)
        assert taker.baselines.get(("acc1", "Gi1/0/5", "in", "pps")) == learned[("acc1", "Gi1/0/5", "in", "pps")]
        with store.transaction() as connection:  # an older value never overwrites a newer one
            baselines.save(connection, [(("acc1", "Gi1/0/5", "in", "pps"), Baseline(1.0, 1.0, 2, 999_000.0))], {"acc1"}, [],
                           1_000_020.0)
            series, since = baselines.load(connection, {"acc1"}, 1_000_020.0)
        assert series[("acc1", "Gi1/0/5", "in", "pps")].level == 250.0 and since == {}


def test_an_uplinks_incident_written_by_another_poller_merges_into_the_edge_incident_it_carries():
    """core/correlate.py: the pollers of acc1 (edge), core1 and rtr1 (uplinks) each wrote an
    incident; one edge incident remains, the uplinks in its path nearest first. An uplink
    incident on a device not linked to the edge's, or long after it ended, stays its own."""
    from portmap.core.correlate import merge_incidents
    from portmap.core.history import StoredIncident

    def stored(id, device, port, start, last_seen, ongoing, path):  # type: ignore[no-untyped-def]
        return StoredIncident(id, device, port, start, last_seen, ongoing, (), (), path, (), 0.0, "pps")

    edge = stored(1, "acc1", "Gi1/0/5", 100.0, 130.0, True, ("acc1 Te1/1/1",))
    core = stored(2, "core1", "Te1/1/1", 99.0, 130.0, True, ("core1 Te1/1/3",))
    router = stored(3, "rtr1", "ge-0/0/1", 101.0, 130.0, True, ())
    elsewhere = stored(4, "island", "xe-0/0/0", 101.0, 130.0, True, ())
    later = stored(5, "core1", "Te1/1/2", 5000.0, 5010.0, True, ())
    uplinks = {("acc1", "Te1/1/1"), ("core1", "Te1/1/1"), ("core1", "Te1/1/3"), ("rtr1", "ge-0/0/1"), ("island", "xe-0/0/0"),
               ("core1", "Te1/1/2")}
    links = {("acc1", "core1"), ("core1", "rtr1"), ("island", "far")}
    ended = stored(1, "acc1", "Gi1/0/5", 100.0, 130.0, False, ("acc1 Te1/1/1",))
    (merge,) = merge_incidents([router, core, edge, elsewhere, later], uplinks, links, recur_within_s=600.0)
    assert (merge.into, sorted(merge.merged)) == (1, [2, 3])
    assert merge.path == ("acc1 Te1/1/1", "core1 Te1/1/1", "core1 Te1/1/3", "rtr1 ge-0/0/1")
    assert merge_incidents([ended, later], uplinks, links, recur_within_s=600.0) == []
