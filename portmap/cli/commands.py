"""What each command does, over the engine; printing stays here, deciding stays in the core."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from portmap.core.snapshot import Frame, Snapshot
from portmap.engine.tables import probe_system
from portmap.engine.watch import Unanswered, WatchSettings, watch
from portmap.errors import SnmpError
from portmap.inventory.model import Device
from portmap.present.check import check_json, check_lines
from portmap.present.top import render_json, render_table

CLEAR_SCREEN = "\x1b[2J\x1b[H"


async def run_top(devices: Sequence[Device], limit: int | None, as_json: bool, settings: WatchSettings,
                  flagged_status: int | None = None) -> int:
    """Poll, wait, poll again, print the ranked ports (`limit` of them; None: all). Exit 1 when a
    device did not answer, `flagged_status` (if given) when a port is flagged. The two polls are
    the watch loop's first two (settings.state: the baselines file to compare with and to add
    this run to)."""
    frames: list[Frame] = []
    await watch(devices, settings, frames.append, rounds=2)
    second = frames[-1]
    snapshot = second.snapshot
    measured = _measured_interval(snapshot) or settings.interval_s
    if as_json:
        print(json.dumps(render_json(snapshot, measured, second.earlier_failures, second.neighbourhood, limit), indent=2))
    else:
        print(render_table(snapshot, limit, settings.interval_s, second.earlier_failures, second.neighbourhood))
    if flagged_status is not None and any(ranked.flagged for ranked in snapshot.ports):
        return flagged_status
    return 1 if snapshot.failed or second.earlier_failures else 0


def _measured_interval(snapshot: Snapshot) -> float | None:
    intervals = [p.rates.interval_s for p in snapshot.ports if p.rates.interval_s > 0]
    return sum(intervals) / len(intervals) if intervals else None


async def run_live(devices: Sequence[Device], limit: int | None, settings: WatchSettings, rounds: int | None = None,
                   as_json: bool = False) -> int:
    """Redraw the top table every interval, or print one JSON line per poll (`as_json`, for scripts
    and `jq`), `limit` ports each (None: all). After `rounds` polls: exit 1 when a device did not
    answer at some poll (a stop by Ctrl-C or a signal has its own exit code)."""
    terminal = sys.stdout.isatty()

    def show(frame: Frame) -> None:
        snapshot = frame.snapshot
        if as_json:
            interval = _measured_interval(snapshot) or settings.interval_s
            sys.stdout.write(json.dumps(render_json(snapshot, interval, frame.earlier_failures, frame.neighbourhood, limit)) + "\n")
        else:
            header = f"portmap: {len(devices)} devices, every {settings.interval_s:g}s (Ctrl-C to quit)\n"
            table = render_table(snapshot, limit, settings.interval_s, frame.earlier_failures, frame.neighbourhood)
            # on a terminal each frame replaces the last; into a file or a pipe they follow each other
            sys.stdout.write((CLEAR_SCREEN if terminal else "\n") + header + table + "\n")
        sys.stdout.flush()

    unanswered = Unanswered()
    await watch(devices, settings, show, rounds, unanswered=unanswered)
    return unanswered.exit_status


async def run_inventory_check(devices: Sequence[Device], as_json: bool = False) -> int:
    """Ask every device who it is; exit 1 when one did not say."""
    results = await probe_system(devices)
    if as_json:
        print(json.dumps(check_json(devices, results), indent=2))
    else:
        print("\n".join(check_lines(devices, results)))
    return 1 if any(isinstance(result, SnmpError) for result in results) else 0
