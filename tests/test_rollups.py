"""Per-port rates rolled up per minute and per hour: the averages and highest values, idle ports
left out, a restart within a minute merged, hours rolled from their minutes, old rows pruned."""

from __future__ import annotations

import math
import sqlite3

import pytest

from portmap.core.neighbourhood import DeviceTables, Neighbourhood, map_neighbourhood
from portmap.core.ranking import rank_rates
from portmap.core.rates import DirectionRates, PortRates, RateStatus, by_device
from portmap.core.rollups import Retention, Rollup
from portmap.core.samples import InterfaceInfo
from portmap.core.snapshot import DeviceStatus, Snapshot
from portmap.core.tables import FdbEntry
from portmap.engine.store.store import Store
from portmap.engine.store.writer import HistoryWriter

DAY = 86400.0


def side(pps: float) -> DirectionRates:
    return DirectionRates.measured(pps * 100 * 8, pps, 0.0, 0.0, 0.0, 0.0)


def snapshot(at: float, busy_pps: float, if_indexes: tuple[int, ...] = (1, 2, 3)) -> Snapshot:
    """sw1: port 1 busy, port 2 idle, port 3 not measured (a first sample)."""
    ports = [PortRates("sw1", i, 5.0, RateStatus.OK, inbound=side(busy_pps), outbound=side(busy_pps / 2), speed_bps=10**9) if n == 0
             else PortRates("sw1", i, 5.0, RateStatus.OK, inbound=side(0.0), outbound=side(0.0), speed_bps=10**9) if n == 1
             else PortRates("sw1", i, 0.0, RateStatus.FIRST) for n, i in enumerate(if_indexes)]
    interfaces = {("sw1", i): InterfaceInfo(i, f"Gi0/{i}", f"Gi0/{i}", "", 6, 10**9, "", "up") for i in if_indexes}
    return Snapshot(at, 0.1, rank_rates(by_device(ports), {}), interfaces, dict.fromkeys(interfaces, "up"), (DeviceStatus("sw1", True, 0.05),))


def test_a_minute_keeps_each_ports_average_and_highest_and_leaves_idle_ports_out():
    rollup = Rollup(60.0)
    for second, pps in ((0, 100.0), (20, 300.0), (40, 200.0)):
        assert rollup.add(snapshot(1_000_020 + second, pps).ports.device_rates, 1_000_020 + second) == []
    (row,) = rollup.add(snapshot(1_000_085, 900.0).ports.device_rates, 1_000_085)
    assert (row.device, row.if_index, row.period_start, row.polls) == ("sw1", 1, 1_000_020, 3)
    assert row.averages[:2] == pytest.approx((200.0, 100.0)) and row.highest[:2] == (300.0, 150.0)
    assert row.averages[2] == pytest.approx(200.0 * 800) and math.isclose(row.highest[5], 300 * 800 / 1e9 * 100)
    (renumbered,) = rollup.add(snapshot(1_000_090, 50.0, (7, 8, 9)).ports.device_rates, 1_000_090)
    assert (renumbered.if_index, renumbered.polls, renumbered.highest[0]) == (1, 1, 900.0)  # what the old numbering had
    (last,) = rollup.flush()
    assert (last.if_index, last.highest[0]) == (7, 50.0)


def test_minutes_and_hours_in_the_store_a_restart_merged_and_old_rows_pruned(tmp_path):
    path = tmp_path / "history.sqlite"
    start = 1_800_000_000.0 // 3600 * 3600  # on the hour
    store = Store(path, writer=True)
    writer = HistoryWriter(store, Retention(1, 2))
    for minute in range(61):  # an hour, and the first poll of the next
        for second in (0, 30):
            writer.record_rates(snapshot(start + minute * 60 + second, 100.0 + minute))
    writer.record_rates(snapshot(start + 3600 + 30, 10.0))
    writer.flush_rates(snapshot(start + 3600 + 30, 10.0))  # a clean stop writes the minute as it stands
    store.close()
    store = Store(path, writer=True)  # a restart within the minute: its polls merged into the same row
    writer = HistoryWriter(store, Retention(1, 2))
    writer.record_rates(snapshot(start + 3600 + 45, 40.0))
    writer.flush_rates(snapshot(start + 3600 + 50, 40.0))
    with sqlite3.connect(path) as connection:
        minutes = connection.execute("SELECT port, polls, in_pps_avg, in_pps_max FROM port_minutes ORDER BY period_start").fetchall()
        hours = connection.execute("SELECT port, period_start, polls, in_pps_avg, in_pps_max FROM port_hours").fetchall()
    assert len(minutes) == 61 and {m[0] for m in minutes} == {"Gi0/1"}  # the idle and the unmeasured ports: no rows
    assert minutes[0][1:] == (2, 100.0, 100.0)
    assert minutes[-1][1:] == (4, pytest.approx((160 + 160 + 10 + 40) / 4), 160.0)  # three polls of the first run, one of the next
    assert hours == [("Gi0/1", start, 120, pytest.approx(100 + 59 / 2), 159.0)]
    # two days later: minutes older than a day are pruned an hour at a time, the hour row kept (2 days)
    writer.record_rates(snapshot(start + 2 * DAY, 5.0))
    writer.record_rates(snapshot(start + 2 * DAY + 3600, 5.0))
    writer.record_rates(snapshot(start + 2 * DAY + 3660, 5.0))
    store.close()
    with sqlite3.connect(path) as connection:
        oldest = connection.execute("SELECT min(period_start) FROM port_minutes").fetchone()[0]
        hours_left = connection.execute("SELECT count(*) FROM port_hours").fetchone()[0]
    assert oldest >= start + 3600 and hours_left >= 1


def test_the_inventory_says_how_long_rates_are_kept(tmp_path):
    from portmap.errors import InventoryError
    from portmap.inventory.loader import load_inventory

    path = tmp_path / "site.yaml"
    path.write_text("store: {rates_per_minute_days: 3}\ndevices: []\n")
    assert load_inventory(path).retention == Retention(3, 90)
    path.write_text("store: {rates_per_minute_days: 30, rates_per_hour_days: 10}\ndevices: []\n")
    with pytest.raises(InventoryError, match=r"site.yaml:1:57: store.rates_per_hour_days: must be between 30 and 3650, got 10"):
        load_inventory(path)
    path.write_text("store: {minutes: 3}\ndevices: []\n")
    with pytest.raises(InventoryError, match=r"store.minutes: unknown key"):
        load_inventory(path)


def test_a_host_on_a_port_the_interface_list_does_not_have_yet_is_kept_by_number_then_named_in_the_same_stretch(tmp_path):
    """net-snmp's interface list lags its bridge table by seconds: a host on a cable just plugged in is
    first on "ifIndex 5", then on "Gi0/5". That is one stretch and one move, not a move to a port by number
    and another to its name."""
    host = "52:54:00:00:00:05"
    interfaces = {1: InterfaceInfo(1, "Gi0/1", "Gi0/1", "", 6, 10**9, "", "up")}
    named = {**interfaces, 5: InterfaceInfo(5, "Gi0/5", "Gi0/5", "", 6, 10**9, "", "up")}

    def read(port: int, known: dict[int, InterfaceInfo]) -> Neighbourhood:
        return map_neighbourhood([DeviceTables("sw1", known, [FdbEntry(host, 1, port, port, "learned")])])

    store = Store(tmp_path / "history.sqlite", writer=True)
    writer = HistoryWriter(store)
    for at, (port, known) in enumerate(((1, interfaces), (5, interfaces), (5, named), (5, named)), start=1_800_000_000):
        writer.record_neighbourhood(read(port, known), float(at))
    store.close()
    with sqlite3.connect(tmp_path / "history.sqlite") as connection:
        stretches = connection.execute("SELECT port, first_seen, last_seen FROM placements ORDER BY id").fetchall()
        moves = connection.execute("SELECT from_port, to_port, at FROM moves").fetchall()
    assert stretches == [("Gi0/1", 1_800_000_000, 1_800_000_000), ("Gi0/5", 1_800_000_001, 1_800_000_003)]
    assert moves == [("Gi0/1", "Gi0/5", 1_800_000_001)]
