"""The inventory loader: good files load, and every kind of mistake gets one located line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portmap.core.thresholds import FlagThresholds, tuned
from portmap.errors import InventoryError
from portmap.inventory import Secret, load_inventory
from portmap.demo.inventory import demo_inventory
from portmap.demo.network import default_network
from tests.helpers import REPO

GOOD = """\
defaults:
  snmp:
    version: 2c
    community: public
  timeout_s: 2
devices:
  - name: sw1
    host: 192.0.2.1
  - name: sw2
    host: 192.0.2.2
    port: 1161
    role: [switch, router]
    retries: 3
    tags: [core]
    snmp:
      version: 3
      user: ops
      auth_protocol: sha512
      auth_password: ${AUTH}
      priv_protocol: aes256
      priv_password: ${PRIV}
"""


def write(tmp_path: Path, text: str, name: str = "inv.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_inventory_inherits_defaults_and_reads_secrets_from_env(tmp_path):
    inventory = load_inventory(write(tmp_path, GOOD), environ={"AUTH": "auth-secret-1", "PRIV": "priv-secret-1"})
    sw1, sw2 = inventory.devices
    assert (sw1.port, sw1.timeout_s, sw1.retries, sw1.roles) == (161, 2.0, 1, frozenset({"switch"}))
    assert sw1.snmp.version == "2c" and sw1.snmp.community == Secret("public")
    assert sw2.roles == frozenset({"switch", "router"}) and sw2.port == 1161 and sw2.tags == ("core",)
    assert sw2.snmp.security_level == "authPriv"
    assert sw2.snmp.auth_protocol == "sha512" and sw2.snmp.priv_protocol == "aes256"
    assert sw2.snmp.auth_password.reveal() == "auth-secret-1"
    assert "auth-secret-1" not in repr(sw2) and "public" not in repr(sw1)


def test_spike_thresholds_globally_per_device_and_per_port(tmp_path):
    path = write(tmp_path, "spikes: {min_flood_pps: 20000, warmup_samples: 20}\n"
                           "defaults: {snmp: {version: 2c, community: c}}\n"
                           "devices:\n"
                           "  - {name: a, host: h, spikes: {outlier_ratio: 5, ports: {Gi1/0/48: {min_flood_pps: 200000}, '7': {clear_after: 6}}}}\n"
                           "  - {name: b, host: h}\n")
    inventory = load_inventory(path, environ={})
    assert inventory.spikes == (("min_flood_pps", 20000.0), ("warmup_samples", 20.0))
    a, b = inventory.devices
    assert a.spikes == (("outlier_ratio", 5.0),)
    assert a.port_spikes == (("Gi1/0/48", (("min_flood_pps", 200000.0),)), ("7", (("clear_after", 6.0),)))
    assert b.spikes == () and b.port_spikes == ()
    limits = tuned(tuned(tuned(FlagThresholds(), inventory.spikes), a.spikes), dict(a.port_spikes)["Gi1/0/48"])
    assert (limits.min_flood_pps, limits.outlier_ratio, limits.warmup_samples) == (200000.0, 5.0, 20)
    assert isinstance(limits.warmup_samples, int)


def test_one_global_spikes_block_across_the_files_of_a_folder(tmp_path):
    (tmp_path / "a.yaml").write_text("spikes: {min_flood_pps: 1000}\n")
    (tmp_path / "b.yaml").write_text("spikes: {min_flood_pps: 2000}\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(tmp_path, environ={})
    assert str(caught.value) == f"{tmp_path / 'b.yaml'}:1:1: spikes: set twice: also in {tmp_path / 'a.yaml'} (one global spikes block)"


def test_shipped_inventories_load(monkeypatch):
    for name in ("PORTMAP_COMMUNITY", "PORTMAP_COMMUNITY_ACCESS", "PORTMAP_V3_AUTH", "PORTMAP_V3_PRIV"):
        monkeypatch.setenv(name, "example-secret")
    example = load_inventory(REPO / "inventory" / "example.yaml")
    assert [d.name for d in example.devices] == ["core1", "access-3f", "edge-v3"]
    demo = load_inventory(REPO / "inventory" / "demo.yaml")
    built_in = demo_inventory(default_network())
    assert [(d.name, d.host, d.port, d.roles, d.snmp) for d in demo.devices] == [
        (d.name, d.host, d.port, d.roles, d.snmp) for d in built_in.devices
    ]


def test_folder_merges_files_and_rejects_a_name_used_twice(tmp_path):
    write(tmp_path, "devices:\n  - {name: a, host: h1, snmp: {version: 2c, community: c}}\n", "1.yaml")
    write(tmp_path, "devices:\n  - {name: b, host: h2, snmp: {version: 2c, community: c}}\n", "2.yaml")
    assert [d.name for d in load_inventory(tmp_path).devices] == ["a", "b"]
    write(tmp_path, "devices:\n  - name: a\n    host: h3\n    snmp: {version: 2c, community: c}\n", "3.yaml")
    with pytest.raises(InventoryError) as caught:
        load_inventory(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / '3.yaml'}:2:11: name: duplicate device name 'a' (first at {tmp_path / '1.yaml'}:2)"
    )


BROKEN = [
    # (what is wrong, the file, the expected one-line error after the path)
    ("a webhook that is no URL",
     "alerts:\n  webhooks:\n    - url: chat.example.net/hook\n",
     ":3:12: alerts.webhooks[0].url: expected an http:// or https:// URL"),
    ("a hook's token from an unset variable, named but never shown",
     "alerts:\n  webhooks:\n    - {url: \"https://chat.example.net/${HOOK_TOKEN}\"}\n",
     ":3:13: alerts.webhooks[0].url: environment variable HOOK_TOKEN is not set"),
    ("hooks as a mapping, not a list",
     "alerts:\n  syslog: {host: 192.0.2.10}\n",
     ":2:11: alerts.syslog: expected a list, got a mapping"),
    ("unknown key with a suggestion",
     "devices:\n  - name: a\n    host: h\n    snmp: {version: 2c, comunity: x}\n",
     ":4:25: devices[0].snmp.comunity: unknown key (did you mean 'community'?)"),
    ("unknown top-level key",
     "device:\n  - name: a\n",
     ":1:1: device: unknown key (did you mean 'devices'?)"),
    ("port is not a number",
     "defaults: {snmp: {version: 2c, community: c}}\ndevices:\n  - name: a\n    host: h\n    port: abc\n",
     ":5:11: devices[0].port: expected a whole number, got 'abc'"),
    ("port out of range",
     "defaults: {snmp: {version: 2c, community: c}}\ndevices:\n  - name: a\n    host: h\n    port: 70000\n",
     ":5:11: devices[0].port: must be between 1 and 65535, got 70000"),
    ("bad SNMP version",
     "devices:\n  - name: a\n    host: h\n    snmp: {version: 4, community: c}\n",
     ":4:21: devices[0].snmp.version: '4' is not one of 1, 2c, 3"),
    ("bad auth protocol",
     "devices:\n  - name: a\n    host: h\n    snmp: {version: 3, user: u, auth_protocol: sha3, auth_password: longenough}\n",
     ":4:48: devices[0].snmp.auth_protocol: 'sha3' is not one of md5, sha, sha224, sha256, sha384, sha512 (did you mean 'sha'?)"),
    ("missing community",
     "devices:\n  - name: a\n    host: h\n    snmp: {version: 2c}\n",
     ":4:11: devices[0].snmp.community: missing: SNMP v2c needs a community"),
    ("missing v3 user",
     "devices:\n  - name: a\n    host: h\n    snmp: {version: 3}\n",
     ":4:11: devices[0].snmp.user: missing: SNMPv3 needs a user"),
    ("authPriv without a priv password",
     "devices:\n  - name: a\n    host: h\n    snmp: {version: 3, user: u, security_level: authPriv, auth_password: longenough}\n",
     ":4:11: devices[0].snmp.priv_password: missing: security level authPriv needs it"),
    ("v3 pass phrase too short",
     "devices:\n  - name: a\n    host: h\n    snmp: {version: 3, user: u, auth_password: short}\n",
     ":4:48: devices[0].snmp.auth_password: too short: SNMPv3 pass phrases need at least 8 characters"),
    ("missing host",
     "defaults: {snmp: {version: 2c, community: c}}\ndevices:\n  - name: a\n",
     ":3:5: devices[0].host: missing (every device needs a name and a host)"),
    ("duplicate key",
     "defaults: {snmp: {version: 2c, community: c}}\ndevices:\n  - name: a\n    host: h\n    host: h2\n",
     ":5:5: devices[0].host: duplicate key (first set on line 4)"),
    ("devices is not a list",
     "devices: {name: a}\n",
     ":1:10: devices: expected a list of devices, got a mapping"),
    ("unset environment variable",
     "devices:\n  - name: a\n    host: h\n    snmp: {version: 2c, community: '${PORTMAP_TEST_UNSET}'}\n",
     ":4:36: devices[0].snmp.community: environment variable PORTMAP_TEST_UNSET is not set"),
    ("bad role",
     "defaults: {snmp: {version: 2c, community: c}}\ndevices:\n  - name: a\n    host: h\n    role: swtich\n",
     ":5:11: devices[0].role: 'swtich' is not one of switch, router (did you mean 'switch'?)"),
    ("timeout is text",
     "defaults: {snmp: {version: 2c, community: c}, timeout_s: soon}\ndevices:\n  - name: a\n    host: h\n",
     ":1:58: defaults.timeout_s: expected a number, got 'soon'"),
    ("tab indentation",
     "devices:\n\t- name: a\n",
     ":2:1: YAML syntax: found character '\\t' that cannot start any token"),
    ("unknown spike threshold",
     "spikes: {min_flod_pps: 1}\ndevices: []\n",
     ":1:10: spikes.min_flod_pps: unknown key (did you mean 'min_flood_pps'?)"),
    ("spike threshold out of range",
     "defaults: {snmp: {version: 2c, community: c}}\ndevices:\n  - name: a\n    host: h\n    spikes: {storm_share: 2}\n",
     ":5:27: devices[0].spikes.storm_share: must be more than 0 and at most 1, got 2"),
    ("per-port spikes that are not a mapping",
     "defaults: {snmp: {version: 2c, community: c}}\ndevices:\n  - name: a\n    host: h\n    spikes: {ports: [Gi1/0/1]}\n",
     ":5:21: devices[0].spikes.ports: expected a mapping of port name to thresholds, got a list"),
    ("a port's threshold is text",
     "defaults: {snmp: {version: 2c, community: c}}\ndevices:\n  - name: a\n    host: h\n    spikes: {ports: {Gi1/0/1: {min_flood_pps: lots}}}\n",
     ":5:47: devices[0].spikes.ports.Gi1/0/1.min_flood_pps: expected a number, got 'lots'"),
    ("python object tag",
     "defaults: {snmp: {version: 2c, community: !!python/object:os.system x}}\ndevices: [{name: a, host: h}]\n",
     ":1:43: defaults.snmp.community: cannot read 'tag:yaml.org,2002:python/object:os.system' here: write plain text or numbers"),
]


@pytest.mark.parametrize("text, expected", [(t, e) for _, t, e in BROKEN], ids=[what for what, _, _ in BROKEN])
def test_broken_inventory_gives_one_located_line(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, environ={})
    message = str(caught.value)
    assert message == f"{path}{expected}"
    assert "\n" not in message


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "inv.yaml"
    path.write_bytes(b"devices:\n  - name: caf\xe9\n")
    with pytest.raises(InventoryError, match=r"inv.yaml:2:14: not UTF-8 text"):
        load_inventory(path)


def test_alias_bomb_ends_in_an_error_quickly(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefghij":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
    path = write(tmp_path, bomb + "devices: *j\n")
    with pytest.raises(InventoryError, match="unknown key"):
        load_inventory(path)


def test_missing_inventory_is_a_helpful_one_line_error_with_exit_2_and_its_hint_works(tmp_path, monkeypatch):
    result = subprocess.run(
        [sys.executable, "-m", "portmap", "top", "--inventory", str(tmp_path / "nowhere")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"portmap: {tmp_path / 'nowhere'}: no inventory here: pass --inventory FILE_OR_FOLDER, "
        "set PORTMAP_INVENTORY, or start from the example: mkdir inventory && portmap inventory example > inventory/site.yaml"
    )
    # the hint, as a user types it where there is no checkout (the example ships in the package)
    hint = result.stderr.strip().split("start from the example: ")[1].replace("portmap", f"{sys.executable} -m portmap")
    subprocess.run(["bash", "-c", hint], cwd=tmp_path, check=True, timeout=60)
    for name in ("PORTMAP_COMMUNITY", "PORTMAP_COMMUNITY_ACCESS", "PORTMAP_V3_AUTH", "PORTMAP_V3_PRIV"):
        monkeypatch.setenv(name, "example-secret")
    written = load_inventory(tmp_path / "inventory")
    assert [d.name for d in written.devices] == [d.name for d in load_inventory(REPO / "inventory" / "example.yaml").devices]


def test_oversized_file_is_refused_without_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"devices:\n" + b"  - {name: x, host: h}\n" * 250_000)
    with pytest.raises(InventoryError, match=r"huge.yaml: larger than 4 MiB: not an inventory"):
        load_inventory(path)


def test_thousands_of_devices_load_quickly(tmp_path):
    import time

    path = tmp_path / "big.yaml"
    lines = ["defaults: {snmp: {version: 2c, community: public}}", "devices:"]
    lines += [f"  - {{name: sw{i}, host: 192.0.2.{i % 250 + 1}, port: {1000 + i}}}" for i in range(5000)]
    path.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    assert len(load_inventory(path).devices) == 5000
    assert time.monotonic() - started < 10


def test_only_regular_files_are_read_and_anything_else_is_named(tmp_path):
    """A dangling link, a link loop or a FIFO in a folder, /dev/zero or a FIFO given as the
    inventory: one clear line and exit 2, at once (a FIFO never hangs the read)."""
    cases = {}
    for name, make in (("dangling", lambda p: p.symlink_to(p.with_name("nowhere.yaml"))),
                       ("loop", lambda p: p.symlink_to(p)), ("fifo", lambda p: os.mkfifo(p))):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "a.yaml").write_text("devices:\n  - {name: sw1, host: 192.0.2.1, snmp: {version: 2c, community: x}}\n")
        (folder / "a.yaml").chmod(0o600)
        make(folder / "b.yaml")
        cases[name] = folder
    cases["a FIFO given"] = cases["fifo"] / "b.yaml"
    cases["/dev/zero"] = Path("/dev/zero")
    said = {}
    for case, location in cases.items():
        result = subprocess.run([sys.executable, "-m", "portmap", "--inventory", str(location), "inventory", "check"],
                                capture_output=True, text=True, timeout=20, cwd=REPO)
        assert result.returncode == 2 and result.stdout == "" and len(result.stderr.splitlines()) == 1, (case, result.stderr)
        said[case] = result.stderr.strip()
    assert said["dangling"] == f"portmap: {cases['dangling'] / 'b.yaml'}: a link to '{cases['dangling'] / 'nowhere.yaml'}', which does not exist"
    assert said["loop"].startswith(f"portmap: {cases['loop'] / 'b.yaml'}: cannot read: ")
    assert said["fifo"] == said["a FIFO given"] == f"portmap: {cases['fifo'] / 'b.yaml'}: a FIFO, not an inventory file: regular files only"
    assert said["/dev/zero"] == "portmap: /dev/zero: a character device, not an inventory file: regular files only"
