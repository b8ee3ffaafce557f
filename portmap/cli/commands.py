"""What each command does, over the engine; printing stays here, deciding stays in the core."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from functools import partial

from portmap.core.snapshot import Frame, Snapshot
from portmap.engine.tables import probe_system
from portmap.engine.watch import Unanswered, WatchSettings, watch
from portmap.errors import SnmpError
from portmap.inventory.model import Device
from portmap.present.check import check_json, check_lines
from portmap.present.pollers import health_json, pollers_brief
from portmap.present.top import render_json, render_table

CLEAR_SCREEN = "\x1b[2J\x1b[H"


async def run_top(devices: Sequence[Device], limit: int | None, as_json: bool, settings: WatchSettings,
                  flagged_status: int | None = None, shared: str | None = None) -> int:
    """Poll, wait, poll again, print the ranked ports (`limit` of them; None: all). Exit 1 when a
    device did not answer, `flagged_status` (if given) when a port is flagged. The two polls are
    the watch loop's first two (settings.state: the baselines file to compare with and to add
    this run to). `shared`: a store that pollers share, whose last polls are shown instead."""
    frames: list[Frame] = []
    if shared is not None:
        from portmap.engine.follow import follow_store  # SQLAlchemy loads only for a face that reads a store

        await follow_store(shared, devices, settings, frames.append, rounds=1)
    else:
        await watch(devices, settings, frames.append, rounds=2)
    second = frames[-1]
    snapshot = second.snapshot
    measured = _measured_interval(snapshot) or settings.interval_s
    if as_json:
        print(json.dumps(_with_pollers(render_json(snapshot, measured, second.earlier_failures, second.neighbourhood, limit), second), indent=2))
    else:
        print(render_table(snapshot, limit, settings.interval_s, second.earlier_failures, second.neighbourhood) + _pollers_text(second))
    if flagged_status is not None and any(ranked.flagged for ranked in snapshot.ports):
        return flagged_status
    return 1 if snapshot.failed or second.earlier_failures else 0


def _with_pollers(document: dict[str, object], frame: Frame) -> dict[str, object]:
    """The JSON document, with the health of the pollers whose polls it merges (where they share a store)."""
    return {**document, "pollers": health_json(frame.pollers)} if frame.pollers else document


def _pollers_text(frame: Frame) -> str:
    return f"\npollers: {pollers_brief(frame.pollers)}" if frame.pollers else ""


def _measured_interval(snapshot: Snapshot) -> float | None:
    intervals = [p.rates.interval_s for p in snapshot.ports if p.rates.interval_s > 0]
    return sum(intervals) / len(intervals) if intervals else None


async def run_live(devices: Sequence[Device], limit: int | None, settings: WatchSettings, rounds: int | None = None,
                   as_json: bool = False, shared: str | None = None) -> int:
    """Redraw the top table every interval, or print one JSON line per poll (`as_json`, for scripts
    and `jq`), `limit` ports each (None: all). After `rounds` polls: exit 1 when a device did not
    answer at some poll (a stop by Ctrl-C or a signal has its own exit code). `shared`: a store
    that pollers share, whose last polls are shown instead of polling."""
    terminal = sys.stdout.isatty()

    def show(frame: Frame) -> None:
        snapshot = frame.snapshot
        if as_json:
            interval = _measured_interval(snapshot) or settings.interval_s
            sys.stdout.write(json.dumps(_with_pollers(render_json(snapshot, interval, frame.earlier_failures, frame.neighbourhood, limit), frame)) + "\n")
        else:
            header = f"portmap: {len(devices)} devices, every {settings.interval_s:g}s (Ctrl-C to quit)\n"
            table = render_table(snapshot, limit, settings.interval_s, frame.earlier_failures, frame.neighbourhood) + _pollers_text(frame)
            # on a terminal each frame replaces the last; into a file or a pipe they follow each other
            sys.stdout.write((CLEAR_SCREEN if terminal else "\n") + header + table + "\n")
        sys.stdout.flush()

    unanswered = Unanswered()
    if shared is None:
        source = watch
    else:
        from portmap.engine.follow import follow_store

        source = partial(follow_store, shared)
    await source(devices, settings, show, rounds, unanswered=unanswered)
    return unanswered.exit_status


async def run_inventory_check(devices: Sequence[Device], as_json: bool = False) -> int:
    """Ask every device who it is; exit 1 when one did not say."""
    results = await probe_system(devices)
    if as_json:
        print(json.dumps(check_json(devices, results), indent=2))
    else:
        print("\n".join(check_lines(devices, results)))
    return 1 if any(isinstance(result, SnmpError) for result in results) else 0
