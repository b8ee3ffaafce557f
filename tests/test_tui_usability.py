"""The TUI as a new operator meets it (issue 16): narrow terminals, no colours, screens that follow
the polls, charts with a scale, the cursor on the incident, the filter, the banner's lines, the
footer, bits or bytes, the sort marker and the incident's export. Headless, on the fixed
scenario of tests/tui_frames.py (web1 floods from 30 s; a switch that never answers)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

from portmap.core.snapshot import Frame
from portmap.demo.network import default_network
from portmap.present.numbers import si
from portmap.tui import app as tui_app
from portmap.tui.app import PortmapApp
from portmap.tui.screens import DevicesScreen, PortScreen, TopologyScreen
from portmap.tui.table import PortTable
from tests.test_tui import wait_for
from tests.tui_frames import scenario_frames

FRAMES = scenario_frames()
ROLES = {d.name: list(d.roles) for d in default_network().devices}
ENTRY = ("acc1", 5)


class Feed:
    """Frames handed to the app one at a time, when the test says."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Frame] = asyncio.Queue()

    async def source(self, show: Callable[[Frame], object]) -> None:
        while True:
            show(await self.queue.get())

    def app(self) -> PortmapApp:
        return PortmapApp(self.source, len(ROLES) + 1, 5.0, ROLES)


async def fed(pilot, feed: Feed, frames: list[Frame]) -> None:  # type: ignore[no-untyped-def]
    for frame in frames:
        feed.queue.put_nowait(frame)
    while pilot.app.frame is not frames[-1]:
        await pilot.pause(0.02)


def table(app: PortmapApp) -> PortTable:
    return app.query_one("#ports", PortTable)


def shown_text(app: PortmapApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_a_narrow_terminal_drops_columns_by_priority_and_the_header_scrolls_with_the_rows():
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await fed(pilot, feed, FRAMES)
        ports = table(app)
        header, first = ports.header, ports.lines[0][0]
        assert len(header) <= 100 and "HISTORY" not in header and "AVG IN" not in header and "UTIL" not in header
        assert "IN PPS" in header and "ERR/S" in header and len(first) == len(header)
        # each number sits under its title: the column's right edge is the title's
        in_pps_end = header.index("IN PPS") + len("IN PPS")
        assert first[:in_pps_end].rstrip().endswith("40.2k"), (header, first)
        wide = [line for line in shown_text(app) if "HISTORY" in line]
        assert not wide
    async with feed.app().run_test(size=(60, 30)) as pilot:  # narrower than the columns left: scrolled sideways together
        await fed(pilot, feed, FRAMES)
        ports = table(pilot.app)
        ports.scroll_to(x=4, animate=False)
        await pilot.pause()
        width = ports.size.width
        assert ports.scroll_offset.x == 4 and width < len(ports.header)
        assert ports.render_line(0).text == ports.header[4:4 + width].ljust(width)
        assert ports.render_line(1).text == ports.lines[0][0][4:4 + width].ljust(width)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_without_colours_the_entry_port_is_the_most_visible_row(theme, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(170, 40)) as pilot:
        app.theme = theme
        await fed(pilot, feed, FRAMES)
        ports = table(app)
        ports.action_move(3)  # the cursor elsewhere
        await pilot.pause()
        entry, carrier, quiet = (ports.render_line(y) for y in (1, 2, 10))
        entry_style, carrier_style, quiet_style = (strip._segments[0].style for strip in (entry, carrier, quiet))
        assert entry.text.startswith("! acc1") and entry_style.reverse and entry_style.bold
        assert carrier.text.startswith("+") and carrier_style.bold and not carrier_style.reverse
        assert not quiet_style.bold and not quiet_style.reverse


async def test_the_port_and_devices_screens_follow_each_poll_and_the_charts_have_a_scale_and_a_time_axis():
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(170, 42)) as pilot:
        await fed(pilot, feed, FRAMES[:7])
        await pilot.press("i")  # the incident's entry port
        screen = app.screen
        assert isinstance(screen, PortScreen) and screen.key == ENTRY
        before = str(screen.query_one("#charts").render())
        await fed(pilot, feed, FRAMES[7:9])
        after = str(screen.query_one("#charts").render())
        assert after != before
        chart = after.splitlines()
        seen = [(p.rates.inbound.pps or 0.0) if p.rates.inbound else 0.0 for f in FRAMES[:9] for p in f.snapshot.ports if p.key == ENTRY]
        assert chart[0] == f"packets/s in (what the attached device sends): now {si(seen[-1])}, highest {si(max(seen))}"
        assert chart[1].split("┤")[0].strip() == si(max(seen)) and chart[1].endswith("█")  # the scale: its top...
        assert chart[4].split("┤")[0].strip() == "0"  # ... and its bottom
        assert chart[5].split() == [f"-{(len(seen) - 1) * 5}s", "now"]  # the time axis
        await pilot.press("d")
        assert isinstance(app.screen, DevicesScreen) and len(app.screen_stack) == 2  # switched, not stacked
        rows_before = app.screen.query_one("#devices").row_count
        await pilot.press("t")
        assert isinstance(app.screen, TopologyScreen) and len(app.screen_stack) == 2
        await pilot.press("d")
        await fed(pilot, feed, FRAMES[9:])
        devices = app.screen.query_one("#devices")
        assert devices.row_count == rows_before == 5 and app.screen.frame is FRAMES[-1]


async def test_the_history_is_scaled_across_the_rows_so_the_flood_stands_out():
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(170, 40)) as pilot:
        await fed(pilot, feed, FRAMES)
        view_rows, _ = app.view.rows(app.history, "rank")
        flood, quiet = view_rows[0], next(r for r in view_rows if r.key == ("acc1", 7))
        assert len(flood.cells["history"]) == 10 and flood.cells["history"].endswith("█")
        assert set(quiet.cells["history"]) == {"▁"}, quiet.cells["history"]  # 300 pps beside 40k: the lowest bar


async def test_the_cursor_follows_the_top_row_until_moved_and_i_opens_the_incident():
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(170, 40)) as pilot:
        await fed(pilot, feed, FRAMES[:4])  # quiet: another port on top
        assert table(app).selected != ENTRY
        await fed(pilot, feed, FRAMES[4:])
        assert table(app).selected == ENTRY
        await pilot.press("enter")
        assert isinstance(app.screen, PortScreen) and app.screen.key == ENTRY
        await pilot.press("escape", "down", "down")
        selected = table(app).selected
        feed.queue.put_nowait(FRAMES[-1])
        await pilot.pause(0.1)
        assert table(app).selected == selected != ENTRY  # moved: it stays where the operator put it
        await pilot.press("i")
        assert app.screen.key == ENTRY


async def test_the_filter_takes_any_mac_notation_counts_against_every_port_and_loses_no_key_while_polls_land():
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(170, 40)) as pilot:
        await fed(pilot, feed, FRAMES[:2])
        await pilot.press("slash")
        typed = "5254.0012.3456"
        for number, key in enumerate(typed):  # a paste, while polls land
            feed.queue.put_nowait(FRAMES[2 + number % 8])
            await pilot.press(key)
        await pilot.pause(0.2)
        assert app.query_one("#filter").value == typed
        assert table(app).keys == [ENTRY]
        assert str(app.query_one("#shown").render()) == f"1 of 34 ports match '{typed}'"
        await pilot.press("escape")
        await pilot.pause()
        assert str(app.query_one("#shown").render()) == "34 of 34 ports"


async def test_the_banner_breaks_between_ports_never_inside_one():
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await fed(pilot, feed, FRAMES)
        lines = str(app.query_one("#banner").render()).splitlines()
        crossing = " ".join(line.strip() for line in lines[lines.index(next(l for l in lines if "crosses:" in l)):])
        items = crossing.removeprefix("the same flood crosses: ").split(", ")
        assert items == ["acc1 Te1/1/1 (uplink to core1)", "core1 Te1/1/1 (to acc1)", "core1 Te1/1/4 (to rtr1)",
                         "rtr1 ge-0/0/0 (LAN 10.0.0.1/24)", "rtr1 ge-0/0/1 (uplink to ISP)"]
        for line in lines[lines.index(next(l for l in lines if "crosses:" in l)):]:
            assert len(line) <= 98
            for part in line.removeprefix("  the same flood crosses: ").strip().rstrip(",").split(", "):
                assert part in items, (part, lines)


async def test_the_footer_shows_every_sort_key_and_enter_bits_or_bytes_and_the_sort_marker():
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(200, 40)) as pilot:
        await fed(pilot, feed, FRAMES)
        await wait_for(pilot, lambda: shown_text(app)[-1].strip(), 5)  # the footer builds its keys after the first frame
        footer = shown_text(app)[-1]
        for key in ("1 rank", "2 pps", "3 bps", "4 util", "5 errors", "⏎ open", "i incident", "x export"):
            assert key in footer, footer
        await pilot.press("3")
        assert "IN b/s▼" in table(app).header and "OUT b/s▼" in table(app).header and "PPS▼" not in table(app).header
        await pilot.press("b")
        assert "IN B/s▼" in table(app).header and "b/s" not in table(app).header
        assert table(app).lines[0][0].split()[8:10] == ["2.5", "MB/s"], table(app).lines[0][0]  # 19.8 Mb/s


async def test_x_exports_the_incident_as_text_and_json(tmp_path, monkeypatch):
    monkeypatch.setattr(tui_app, "EXPORT_FOLDER", tmp_path)
    feed = Feed()
    app = feed.app()
    async with app.run_test(size=(170, 40)) as pilot:
        await fed(pilot, feed, FRAMES)
        await pilot.press("x")
        await pilot.pause()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(FRAMES[-1].snapshot.taken_at))
        text = (tmp_path / f"portmap-incident-{stamp}.txt").read_text().splitlines()
        document = json.loads((tmp_path / f"portmap-incident-{stamp}.json").read_text())
        assert text[1].startswith("! acc1 Gi1/0/5 (web1): 10.0.0.21 (52:54:00:12:34:56) is sending")
        assert text[2].startswith("  52:54:00:12:34:56  10.0.0.21") and "-> acc1 Gi1/0/5" in text[2]
        assert text[-1].startswith("  the same flood crosses: acc1 Te1/1/1 (uplink to core1), core1 Te1/1/1")
        assert (document["entry"]["device"], document["entry"]["if_index"], document["entry"]["flagged"]) == ("acc1", 5, True)
        assert [(p["device"], p["if_name"]) for p in document["crosses"]] == [
            ("acc1", "Te1/1/1"), ("core1", "Te1/1/1"), ("core1", "Te1/1/4"), ("rtr1", "ge-0/0/0"), ("rtr1", "ge-0/0/1")]
        assert [n.message for n in app._notifications][-1].startswith(f"incident written to {tmp_path}/portmap-incident-")
