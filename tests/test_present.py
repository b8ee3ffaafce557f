"""One meaning per metric in every face: ERR/S is errors and discards, in both directions, in
`top`'s table, its JSON, the TUI's rows and the errors sort alike."""

from __future__ import annotations

from portmap.core.ranking import rank_rates
from portmap.core.rates import DirectionRates, PortRates, RateStatus, by_device
from portmap.core.samples import InterfaceInfo
from portmap.core.snapshot import DeviceStatus, Frame, Snapshot
from portmap.present.text import MAX_SHOWN, cells, fit, shown
from portmap.present.top import COLUMNS, render_json, render_table
from portmap.tui.views import COLUMNS as TUI_COLUMNS
from portmap.tui.views import History, PortView


def side(pps: float, errors: float, discards: float) -> DirectionRates:
    return DirectionRates.measured(pps * 500 * 8, pps, 0.0, 0.0, errors, discards)


def snapshot() -> Snapshot:
    ports = [
        PortRates("sw1", 1, 5.0, RateStatus.OK, inbound=side(900, 0, 30), outbound=side(900, 0, 20), speed_bps=10**9),
        PortRates("sw1", 2, 5.0, RateStatus.OK, inbound=side(2000, 10, 0), outbound=side(800, 0, 0), speed_bps=10**9),
        PortRates("sw1", 3, 5.0, RateStatus.OK, inbound=side(100, 0, 0), outbound=side(100, 0, 0), speed_bps=10**9),
    ]
    interfaces = {("sw1", i): InterfaceInfo(i, f"Gi1/0/{i}", f"GigabitEthernet1/0/{i}", "", 6, 10**9, "", "up") for i in (1, 2, 3)}
    return Snapshot(0.0, 0.1, rank_rates(by_device(ports), {}), interfaces, dict.fromkeys(interfaces, "up"),
                    (DeviceStatus("sw1", True, 0.05),))


def test_err_s_is_errors_and_discards_in_the_table_the_json_and_the_tui():
    shot = snapshot()
    assert COLUMNS[-1][0] == "ERR/S"
    rows = {line.split()[1]: line.split()[-1] for line in render_table(shot, 10, 5.0).splitlines()[1:4]}
    assert rows == {"Gi1/0/1": "50", "Gi1/0/2": "10", "Gi1/0/3": "0"}
    by_port = {port["if_index"]: port for port in render_json(shot, 5.0)["ports"]}
    assert (by_port[1]["errors_and_discards_ps"], by_port[1]["in_discards_ps"], by_port[1]["out_discards_ps"]) == (50.0, 30.0, 20.0)
    assert by_port[2]["errors_and_discards_ps"] == 10.0 and by_port[2]["in_errors_ps"] == 10.0
    tui_rows, _ = PortView(Frame(shot, None, (), 1)).rows(History(), "errors")
    assert next(c.title for c in TUI_COLUMNS if c.name == "errors") == "ERR/S"
    assert [(row.key, row.cells["errors"]) for row in tui_rows] == [(("sw1", 1), "50"), (("sw1", 2), "10"), (("sw1", 3), "0")]


def test_the_tuis_orders_are_the_snapshots_ranking_by_that_key():
    shot = snapshot()
    view = PortView(Frame(shot, None, (), 1))
    for sort in ("pps", "errors"):
        tui_order = [row.key for row in view.rows(History(), sort)[0]]
        assert tui_order == [p.key for p in shot.ports.by(sort)]
    assert [row.key for row in view.rows(History(), "pps")[0]] == [("sw1", 2), ("sw1", 1), ("sw1", 3)]


def test_agent_text_is_shown_escaped_capped_and_measured_in_cells():
    assert shown("\x1b]0;x\x07a\r\nb\x7f\x9c") == "\\x1b]0;x\\x07a\\x0d\\x0ab\\x7f\\x9c"
    assert shown("a\u202eb\u200bc\ufeff") == "a\\u202eb\\u200bc\\ufeff"
    assert shown("x" * 100, 10) == "x" * 9 + "…" and shown("x" * 10, 10) == "x" * 10
    assert len(shown("x" * 60_000)) == MAX_SHOWN
    assert cells("全角") == 4 and cells("e\u0301") == 1 and cells("abc") == 3
    assert fit("全角x", 4) == "全角" and fit("全角", 5) == "全角 " and fit("7", 3, right=True) == "  7"
    assert fit("全角x", 3) == "全 ", "a wide character that does not fit leaves its cell blank"
