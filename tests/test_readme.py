"""The README's examples are what the code does: every YAML block in it is an inventory the
loader takes (a new user copies the first one before anything else)."""

from __future__ import annotations

import re
from pathlib import Path

from portmap.inventory.loader import load_inventory
from tests.helpers import REPO

SECRETS = {"PORTMAP_COMMUNITY": "c0mmunity", "PORTMAP_V3_AUTH": "auth-pass-1234", "PORTMAP_V3_PRIV": "priv-pass-1234"}


def yaml_blocks() -> list[tuple[int, str]]:
    """(line, text) of each ```yaml block of the README."""
    text = (REPO / "README.md").read_text()
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in re.finditer(r"```yaml\n(.*?)```", text, re.S)]


def test_every_yaml_block_of_the_readme_is_an_inventory_the_loader_takes(tmp_path: Path):
    blocks = yaml_blocks()
    assert len(blocks) >= 2
    for line, block in blocks:
        path = tmp_path / f"readme-line-{line}.yaml"
        path.write_text(block)
        path.chmod(0o600)
        inventory = load_inventory(path, SECRETS)
        assert inventory.devices, f"README line {line}: no devices"
    first = load_inventory(tmp_path / f"readme-line-{blocks[0][0]}.yaml", SECRETS)
    assert first.devices[0].snmp.community.reveal() == "c0mmunity"
