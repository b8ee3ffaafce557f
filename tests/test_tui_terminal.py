"""The real `portmap demo` in a real terminal (tmux): the flood's port is read off the screen."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.helpers import TIMING, REPO, report, require_tools

pytestmark = TIMING

FLOOD_AFTER_S, INTERVAL_S = 8, 2


def test_portmap_demo_shows_web1s_port_on_the_terminal():
    require_tools("tmux")
    server = f"portmap-test-{os.getpid()}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", server, *args], capture_output=True, text=True, timeout=10).stdout

    command = f"cd {REPO} && exec {sys.executable} -m portmap demo --flood-after {FLOOD_AFTER_S} --interval {INTERVAL_S} --duration 60"
    tmux("new-session", "-d", "-s", "demo", "-x", "200", "-y", "50", command)
    started = time.monotonic()
    try:
        screens: list[tuple[float, str]] = []
        while time.monotonic() - started < FLOOD_AFTER_S + 25:
            screen = tmux("capture-pane", "-p", "-t", "demo")
            screens.append((time.monotonic() - started, screen))
            if "! acc1 Gi1/0/5" in screen:
                break
            time.sleep(0.5)
        quiet = [s for t, s in screens if t < FLOOD_AFTER_S - 1 and "devices answering" in s]
        assert quiet, f"no quiet frame on the terminal: {screens[-1][1] if screens else ''}"
        assert all("4/4 devices answering" in s and "! acc1" not in s for s in quiet)
        seen_at, screen = screens[-1]
        assert "! acc1 Gi1/0/5 (web1): 10.0.0.21 (52:54:00:12:34:56) is sending" in screen, screen
        report(f"tmux: `portmap demo` showed web1's port on the terminal {seen_at - FLOOD_AFTER_S:.1f}s after the flood began "
               f"(counted from the command's start; interval {INTERVAL_S}s)")
        tmux("send-keys", "-t", "demo", "q")
        deadline = time.monotonic() + 10
        while "demo" in tmux("list-sessions") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "demo" not in tmux("list-sessions"), "q quits the TUI"
    finally:
        tmux("kill-server")
