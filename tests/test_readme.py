"""The README's examples are what the code does: every YAML block in it is an inventory the
loader takes (a new user copies the first one before anything else), and every `$ portmap`
example prints what the README shows."""

from __future__ import annotations

import asyncio
import re
import shlex
import subprocess
import sys
from pathlib import Path

from portmap.demo.lab import SimulatedNetwork
from portmap.demo.network import default_network
from portmap.inventory.loader import load_inventory
from tests.helpers import TIMING, REPO, require_tools

pytestmark = TIMING

SECRETS = {"PORTMAP_COMMUNITY": "c0mmunity", "PORTMAP_V3_AUTH": "auth-pass-1234", "PORTMAP_V3_PRIV": "priv-pass-1234",
           "CHAT_HOOK_TOKEN": "hook-token-1234"}


def yaml_blocks() -> list[tuple[int, str]]:
    """(line, text) of each ```yaml block of the README."""
    text = (REPO / "README.md").read_text()
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in re.finditer(r"```yaml\n(.*?)```", text, re.S)]


PROMETHEUS_CONFIG = "scrape_configs:"
"""How a ```yaml block that is a Prometheus configuration (for `portmap run --listen`) begins."""


def test_every_yaml_block_of_the_readme_is_an_inventory_the_loader_takes(tmp_path: Path):
    blocks = [(line, block) for line, block in yaml_blocks() if not block.startswith(PROMETHEUS_CONFIG)]
    assert len(blocks) >= 2
    for line, block in blocks:
        path = tmp_path / f"readme-line-{line}.yaml"
        path.write_text(block)
        path.chmod(0o600)
        inventory = load_inventory(path, SECRETS)
        assert inventory.devices, f"README line {line}: no devices"
    first = load_inventory(tmp_path / f"readme-line-{blocks[0][0]}.yaml", SECRETS)
    assert first.devices[0].snmp.community.reveal() == "c0mmunity"


def test_the_readmes_prometheus_scrape_configs_are_ones_prometheus_takes(tmp_path: Path):
    require_tools("promtool")
    blocks = [(line, block) for line, block in yaml_blocks() if block.startswith(PROMETHEUS_CONFIG)]
    assert blocks
    for line, block in blocks:
        path = tmp_path / f"readme-line-{line}.yml"
        path.write_text(block)
        checked = subprocess.run(["promtool", "check", "config", str(path)], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, f"README line {line}: {checked.stdout}{checked.stderr}"


NUMBER = re.compile(r"\d+(?:[.:,]\d+)*[kMG]?")
MEASURED = ((re.compile(r", \d+x (its normal|the typical port)"), ""), (re.compile(r"; slowest \S+ "), "; slowest - "))
"""What a measurement decides besides numbers: whether a ratio is said (not where most ports are idle), the slowest device."""


def command_examples() -> list[tuple[int, list[str], list[str]]]:
    """(line, commands, output lines) of each README block that shows `$ portmap ...` and what it printed."""
    text = (REPO / "README.md").read_text()
    examples = []
    for match in re.finditer(r"```\n(\$ portmap .*?)```", text, re.S):
        lines = match.group(1).splitlines()
        commands = [line[2:] for line in lines if line.startswith("$ ")]
        examples.append((text.count("\n", 0, match.start()) + 2, commands, lines[len(commands):]))
    return examples


def _pattern(line: str, numbers_vary: bool) -> re.Pattern[str]:
    """A README line as a pattern: measured numbers (rates, times, ratios) vary from run to run, the rest not."""
    if not numbers_vary:
        return re.compile(re.escape(line))
    line = _measured(line)
    parts = [re.escape(part) for part in NUMBER.split(line)]
    return re.compile(r"\s+".join(r"[\d.:,]+[kMG]?".join(parts).split(r"\ ")).replace(r"\s+\s+", r"\s+"))


def _measured(line: str) -> str:
    for pattern, written in MEASURED:
        line = pattern.sub(written, line)
    return line


def _matches(expected: list[str], printed: list[str], numbers_vary: bool) -> list[str]:
    """The README's lines that the command did not print, in order ("..." stands for lines left out)."""
    printed = [_measured(line) for line in printed] if numbers_vary else printed
    missing, at = [], 0
    for line in expected:
        if line.strip() == "...":
            continue
        pattern = _pattern(line, numbers_vary)
        found = next((i for i in range(at, len(printed)) if pattern.fullmatch(printed[i])), None)
        if found is None:
            missing.append(line)
        else:
            at = found + 1
    return missing


def test_the_readmes_command_examples_are_what_the_commands_print():
    """Each `$ portmap ...` example, run against the demo network (web1 flooding), prints the
    lines the README shows (numbers measured in the run may differ, nothing else)."""
    examples = command_examples()
    assert {commands[-1].split()[1] for _, commands, _ in examples} >= {"top", "find", "map", "tables"}

    async def run_all() -> list[str]:
        simulator = SimulatedNetwork(default_network(flood_after_s=0))
        simulator.start()
        try:
            failures = []
            for line, commands, expected in examples:
                command = commands[-1]  # the ones before start the demo, served here
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "portmap", *shlex.split(command)[1:], cwd=REPO,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                out, err = await asyncio.wait_for(process.communicate(), 60)
                missing = _matches(expected, out.decode().splitlines(), numbers_vary=command.split()[1] == "top")
                if missing or err:
                    failures.append(f"README line {line}: `{command}` did not print {missing} (stderr {err.decode()!r})\n"
                                    f"it printed:\n{out.decode()}")
            return failures
        finally:
            simulator.stop()

    failures = asyncio.run(run_all())
    assert not failures, "\n".join(failures)
