"""The command line in a pipeline: a reader that closes the pipe (`| head -1`) is a normal end."""

from __future__ import annotations

import asyncio
import json
import sys

from tests.conftest import inventory_file
from tests.helpers import REPO


async def piped(command: str) -> tuple[bytes, bytes]:
    """A shell pipeline, waited for without blocking the event loop that serves the demo's agents."""
    process = await asyncio.create_subprocess_exec("bash", "-c", command, cwd=REPO, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    return await asyncio.wait_for(process.communicate(), 30)


async def test_live_json_piped_into_head_ends_quietly_with_exit_0(demo_running, tmp_path):
    inventory = inventory_file(tmp_path / "demo.yaml", demo_running.devices.values())
    out, err = await piped(f"{sys.executable} -m portmap --no-state --inventory {inventory} live --json --interval 0.5 --no-dns "
                           "| head -1; echo \"portmap exit ${PIPESTATUS[0]}\" >&2")
    assert json.loads(out)["devices_total"] == 4
    assert err.decode().strip() == "portmap exit 0", err.decode()


async def test_live_into_a_pipe_writes_frames_one_after_another_without_screen_escapes(demo_running, tmp_path):
    inventory = inventory_file(tmp_path / "demo.yaml", demo_running.devices.values())
    out, err = await piped(f"{sys.executable} -m portmap --no-state --inventory {inventory} live --interval 0.5 --no-dns --limit 3 "
                           "| head -n 30")
    text = out.decode()
    assert "\x1b" not in text and text.count("portmap: 4 devices, every 0.5s") >= 2, text
    assert err.decode() == ""


async def test_ui_into_a_pipe_is_the_text_view_as_its_help_says(demo_running, tmp_path):
    inventory = inventory_file(tmp_path / "demo.yaml", demo_running.devices.values())
    out, err = await piped(f"{sys.executable} -m portmap --no-state ui --inventory {inventory} --interval 0.5 --no-dns | head -n 3")
    assert out.decode().splitlines()[1] == "portmap: 4 devices, every 0.5s (Ctrl-C to quit)" and b"\x1b" not in out + err, out + err
