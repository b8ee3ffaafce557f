"""Load and validate the inventory, reporting every mistake as file:line:column: field: message.

YAML is composed (never constructed into arbitrary objects) with PyYAML's safe loader and
walked node by node, so each value keeps its position and duplicate keys are caught.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import stat
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import yaml

from portmap.core.rollups import Retention
from portmap.errors import InventoryError
from portmap.inventory.model import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    ROLES,
    SECURITY_LEVELS,
    SNMP_VERSIONS,
    DEFAULT_STATE,
    Alerts,
    Device,
    Inventory,
    StateDefault,
    Secret,
    SnmpSettings,
    SpikeSettings,
    Webhook,
)

MAX_FILE_BYTES = 4 * 1024 * 1024
MIN_V3_PASSWORD = 8
"""RFC 3414 asks for pass phrases of at least 8 characters; agents reject shorter ones."""

TOP_KEYS = ("defaults", "devices", "spikes", "state", "store", "alerts")
ALERT_KEYS = ("webhooks", "syslog", "commands", "updates_every_min", "silence")
WEBHOOK_KEYS = ("url", "headers")
STORE_KEYS = ("rates_per_minute_days", "rates_per_hour_days")
DEVICE_KEYS = ("name", "host", "port", "role", "snmp", "timeout_s", "retries", "tags", "spikes")
DEFAULT_KEYS = tuple(k for k in DEVICE_KEYS if k not in ("name", "host", "spikes"))
SPIKE_LIMITS: dict[str, tuple[float, float, bool]] = {
    "min_flood_pps": (1, 1e9, False), "outlier_ratio": (1, 1e6, False), "min_score": (0, 1e6, False),
    "small_packet_bytes": (20, 10_000, False),
    "min_small_flood_pps": (1, 1e9, False), "small_flood_ratio": (1, 1e6, False), "bulk_packet_bytes": (20, 10_000, False), "min_storm_pps": (1, 1e9, False), "storm_share": (0, 1, False),
    "min_errors_ps": (0, 1e9, False), "saturation_pct": (1, 100, False), "warmup_samples": (1, 100_000, True),
    "clear_after": (1, 10_000, True),
}
"""Tunable spike thresholds (portmap/core/thresholds.py FlagThresholds): (lowest, highest, whole number)."""
SNMP_KEYS = (
    "version", "community", "user", "security_level", "auth_protocol", "auth_password",
    "priv_protocol", "priv_password", "max_repetitions",
)
SECRET_KEYS = ("community", "auth_password", "priv_password")
WELL_KNOWN_COMMUNITY = "public"
"""Everyone knows it: no secret to protect (the demo network uses it)."""
_ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_ENV_PART = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HOST_NAME = re.compile(r"^(?=.{1,253}\.?$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
                        r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$")
"""A DNS name: dot-separated labels of letters, digits, '-' and '_' (as resolvers take them)."""
EXAMPLE_HINT = "mkdir inventory && portmap inventory example > inventory/site.yaml"


class _FileReader:
    def __init__(self, path: str, environ: Mapping[str, str]) -> None:
        self.path = path
        self.environ = environ
        self.plain_secrets = 0
        self._constructor = yaml.SafeLoader("")

    def error(self, node: yaml.Node | None, field: str, message: str) -> InventoryError:
        if node is None:
            return InventoryError(self.path, 0, 0, field, message)
        return InventoryError(self.path, node.start_mark.line + 1, node.start_mark.column + 1, field, message)

    def mapping(self, node: yaml.Node, field: str, allowed: tuple[str, ...]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A mapping's entries by key, refusing non-string keys, duplicates and unknown keys."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, field, f"expected a mapping of {', '.join(allowed)}, got {_kind(node)}")
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            where = f"{field}." if field else ""
            if not isinstance(key, str) or key_node.tag != "tag:yaml.org,2002:str":
                raise self.error(key_node, field, f"keys must be plain names, got {_kind(key_node)}")
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                raise self.error(key_node, where + key, f"duplicate key (first set on line {first})")
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(allowed)})"
                raise self.error(key_node, where + key, f"unknown key{hint}")
            entries[key] = (key_node, value_node)
        return entries

    def scalar(self, node: yaml.Node, field: str) -> object:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, field, f"expected a single value, got {_kind(node)}")
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            raise self.error(node, field, f"cannot read {node.tag!r} here: write plain text or numbers") from None

    def text(self, node: yaml.Node, field: str) -> str:
        value = self.scalar(node, field)
        if isinstance(value, bool) or value is None or not isinstance(value, (str, int, float)):
            raise self.error(node, field, f"expected text, got {_kind(node)}")
        text = str(value)
        if not text.strip():
            raise self.error(node, field, "must not be empty")
        return text

    def secret(self, node: yaml.Node, field: str) -> Secret:
        """A credential; `${NAME}` takes it from the environment. The value itself is never echoed."""
        text = self.text(node, field)
        reference = _ENV_REFERENCE.match(text)
        if reference is None:
            if text != WELL_KNOWN_COMMUNITY:
                self.plain_secrets += 1
            return Secret(text)
        name = reference.group(1)
        if name not in self.environ:
            raise self.error(node, field, f"environment variable {name} is not set")
        if not self.environ[name]:
            raise self.error(node, field, f"environment variable {name} is empty")
        return Secret(self.environ[name])

    def expanded(self, node: yaml.Node, field: str) -> Secret:
        """Text whose ${NAME} parts come from the environment (a URL with a token in it), held as a secret."""
        text = self.text(node, field)
        for name in _ENV_PART.findall(text):
            if not self.environ.get(name):
                raise self.error(node, field, f"environment variable {name} is {'empty' if name in self.environ else 'not set'}")
        return Secret(_ENV_PART.sub(lambda match: self.environ[match.group(1)], text))

    def integer(self, node: yaml.Node, field: str, low: int, high: int) -> int:
        value = self.scalar(node, field)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(node, field, f"expected a whole number, got {_show(node)}")
        if not low <= value <= high:
            raise self.error(node, field, f"must be between {low} and {high}, got {value}")
        return value

    def number(self, node: yaml.Node, field: str, low: float, high: float) -> float:
        value = self.scalar(node, field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(node, field, f"expected a number, got {_show(node)}")
        if not low < value <= high:
            raise self.error(node, field, f"must be more than {low:g} and at most {high:g}, got {value}")
        return float(value)

    def host(self, node: yaml.Node, field: str) -> str:
        """An IP address (an IPv6 one also as written in URLs, in brackets) or a DNS name; no port."""
        text = self.text(node, field).strip()
        bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        try:
            return str(ipaddress.ip_address(bare))
        except ValueError:
            pass
        if bare is text and _HOST_NAME.match(text):
            return text
        hint = " (write the UDP port under port:)" if re.search(r":\d+$", text) else ""
        raise self.error(node, field, f"{text!r} is not an IP address nor a host name{hint}")

    def state(self, node: yaml.Node, field: str) -> Path | None:
        """Where this inventory's baselines are kept: a file (relative to the inventory's folder),
        or false for none."""
        if self.scalar(node, field) is False:
            return None
        return Path(self.path).parent / self.text(node, field)

    def choice(self, node: yaml.Node, field: str, choices: tuple[str, ...]) -> str:
        text = self.text(node, field)
        folded = {c.lower(): c for c in choices}
        if text.lower() not in folded:
            close = difflib.get_close_matches(text, choices, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.error(node, field, f"{text!r} is not one of {', '.join(choices)}{hint}")
        return folded[text.lower()]

    def texts(self, node: yaml.Node, field: str, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """A list of words, or one word on its own."""
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if choices is None:
            return tuple(self.text(item, field) for item in items)
        return tuple(self.choice(item, field, choices) for item in items)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return {
        "tag:yaml.org,2002:null": "nothing",
        "tag:yaml.org,2002:bool": "true/false",
        "tag:yaml.org,2002:int": "a number",
        "tag:yaml.org,2002:float": "a number",
    }.get(node.tag, "text")


def _show(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return f"{node.value!r}" if node.value else _kind(node)
    return _kind(node)


def _compose(path: Path) -> yaml.Node | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InventoryError(str(path), 0, 0, "", f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InventoryError(str(path), 0, 0, "", f"larger than {MAX_FILE_BYTES // 1024 // 1024} MiB: not an inventory")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InventoryError(str(path), line, column, "", "not UTF-8 text (save the file as UTF-8)") from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (ValueError, OverflowError) as exc:  # PyYAML's scanner on escapes like "\U7fffffff"
        raise InventoryError(str(path), 0, 0, "", f"YAML syntax: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise InventoryError(str(path), line, column, "", f"YAML syntax: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise InventoryError(str(path), line, column, "", f"character {exc.character!r} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise InventoryError(str(path), 0, 0, "", f"YAML: {' '.join(str(exc).split())}") from None


_NOT_REGULAR = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _regular(path: Path) -> Path:
    """`path` if it is (or links to) a regular file; else a clear error, before anything is
    opened: a FIFO would hang the read, /dev/zero would fill the memory, and a dangling link in
    a folder would drop its devices without a word."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InventoryError(str(path), 0, 0, "", f"a link to {os.readlink(path)!r}, which does not exist") from None
    except OSError as exc:
        raise InventoryError(str(path), 0, 0, "", f"cannot read: {exc.strerror}") from None
    for test, kind in _NOT_REGULAR:
        if test(mode):
            raise InventoryError(str(path), 0, 0, "", f"{kind}, not an inventory file: regular files only")
    return path


def inventory_files(location: str | Path) -> list[Path]:
    path = Path(location)
    if path.is_dir():
        files = sorted(_regular(p) for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not files:
            raise InventoryError(str(path), 0, 0, "", "folder has no *.yaml inventory files")
        return files
    if not path.exists() and not path.is_symlink():
        raise InventoryError(
            str(path), 0, 0, "",
            f"no inventory here: pass --inventory FILE_OR_FOLDER, set PORTMAP_INVENTORY, or start from the example: {EXAMPLE_HINT}",
        )
    return [_regular(path)]


def load_inventory(location: str | Path, environ: Mapping[str, str] | None = None) -> Inventory:
    """Load a file, or every *.yaml in a folder, into one validated Inventory."""
    env = os.environ if environ is None else environ
    devices: list[Device] = []
    warnings: list[str] = []
    first_seen: dict[str, str] = {}
    spikes: SpikeSettings = ()
    spikes_from = ""
    state: Path | None | StateDefault = DEFAULT_STATE
    state_from = ""
    retention: Retention | None = None
    retention_from = ""
    alerts: Alerts | None = None
    alerts_from = ""
    files = inventory_files(location)
    for path in files:
        reader = _FileReader(str(path), env)
        root = _compose(path)
        top = reader.mapping(root, "", TOP_KEYS) if root is not None else {}
        if "spikes" in top:
            if spikes_from:
                raise reader.error(top["spikes"][0], "spikes", f"set twice: also in {spikes_from} (one global spikes block)")
            spikes, spikes_from = _read_spikes(reader, top["spikes"][1], "spikes"), str(path)
        if "state" in top:
            if state_from:
                raise reader.error(top["state"][0], "state", f"set twice: also in {state_from}")
            state, state_from = reader.state(top["state"][1], "state"), str(path)
        if "store" in top:
            if retention_from:
                raise reader.error(top["store"][0], "store", f"set twice: also in {retention_from}")
            retention, retention_from = _read_retention(reader, top["store"][1]), str(path)
        if "alerts" in top:
            if alerts_from:
                raise reader.error(top["alerts"][0], "alerts", f"set twice: also in {alerts_from}")
            alerts, alerts_from = _read_alerts(reader, top["alerts"][1]), str(path)
        for device, name_node in _read_file(reader, root):
            if device.name in first_seen:
                raise reader.error(name_node, "name", f"duplicate device name {device.name!r} (first at {first_seen[device.name]})")
            first_seen[device.name] = device.source
            devices.append(device)
        if reader.plain_secrets and path.stat().st_mode & 0o044:
            warnings.append(
                f"{path} holds SNMP secrets in plain text and other users can read it: "
                "chmod 600 it, or write the secrets as ${ENV_VAR}"
            )
    return Inventory(tuple(devices), tuple(str(p) for p in files), tuple(warnings), spikes, retention, alerts, state)


def _read_retention(reader: _FileReader, node: yaml.Node) -> Retention:
    """The `store:` block: days of per-minute rates (1 to 365) and of per-hour rates (1 to 3650, no fewer)."""
    entries = reader.mapping(node, "store", STORE_KEYS)
    minutes = reader.integer(entries["rates_per_minute_days"][1], "store.rates_per_minute_days", 1, 365) \
        if "rates_per_minute_days" in entries else Retention().minutes_days
    hours = reader.integer(entries["rates_per_hour_days"][1], "store.rates_per_hour_days", minutes, 3650) \
        if "rates_per_hour_days" in entries else max(minutes, Retention().hours_days)
    return Retention(minutes, hours)


def _read_alerts(reader: _FileReader, node: yaml.Node) -> Alerts:
    """The `alerts:` block: webhooks (a URL, headers), syslog targets, commands, how often an open
    incident is told again, and the entry ports silenced. URLs and headers may hold ${ENV} parts."""
    entries = reader.mapping(node, "alerts", ALERT_KEYS)

    def items(key: str) -> list[yaml.Node]:
        found = entries.get(key)
        if found is None:
            return []
        if not isinstance(found[1], yaml.SequenceNode):
            raise reader.error(found[1], f"alerts.{key}", f"expected a list, got {_kind(found[1])}")
        return list(found[1].value)

    webhooks = []
    for i, hook in enumerate(items("webhooks")):
        field = f"alerts.webhooks[{i}]"
        hook_entries = reader.mapping(hook, field, WEBHOOK_KEYS)
        if "url" not in hook_entries:
            raise reader.error(hook, field, "a webhook needs its url")
        url_node = hook_entries["url"][1]
        url = reader.expanded(url_node, f"{field}.url")
        parts = urllib.parse.urlsplit(url.reveal())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise reader.error(url_node, f"{field}.url", "expected an http:// or https:// URL")
        headers = tuple((str(key.value), reader.expanded(value, f"{field}.headers.{key.value}"))
                        for key, value in _pairs(reader, hook_entries["headers"][1], f"{field}.headers")) if "headers" in hook_entries else ()
        webhooks.append(Webhook(url, f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}/", headers))
    commands = []
    for i, command in enumerate(items("commands")):
        commands.append(reader.texts(command, f"alerts.commands[{i}]"))
    every = reader.integer(entries["updates_every_min"][1], "alerts.updates_every_min", 1, 1440) if "updates_every_min" in entries else 5
    return Alerts(tuple(webhooks), tuple(reader.text(item, "alerts.syslog") for item in items("syslog")), tuple(commands),
                  every * 60.0, tuple(" ".join(reader.text(item, "alerts.silence").split()) for item in items("silence")))


def _read_file(reader: _FileReader, root: yaml.Node | None) -> list[tuple[Device, yaml.Node]]:
    if root is None:
        return []
    top = reader.mapping(root, "", TOP_KEYS)
    defaults = reader.mapping(top["defaults"][1], "defaults", DEFAULT_KEYS) if "defaults" in top else {}
    if "devices" not in top:
        return []
    devices_node = top["devices"][1]
    if not isinstance(devices_node, yaml.SequenceNode):
        raise reader.error(devices_node, "devices", f"expected a list of devices, got {_kind(devices_node)}")
    return [_read_device(reader, node, f"devices[{i}]", defaults) for i, node in enumerate(devices_node.value)]


def _read_device(
    reader: _FileReader, node: yaml.Node, field: str, defaults: dict[str, tuple[yaml.Node, yaml.Node]]
) -> tuple[Device, yaml.Node]:
    own = reader.mapping(node, field, DEVICE_KEYS)
    for required in ("name", "host"):
        if required not in own:
            raise reader.error(node, f"{field}.{required}", "missing (every device needs a name and a host)")

    def pick(key: str) -> tuple[yaml.Node | None, str]:
        """A device's own value, else its default, with the field name to blame."""
        if key in own:
            return own[key][1], f"{field}.{key}"
        if key in defaults:
            return defaults[key][1], f"defaults.{key}"
        return None, f"{field}.{key}"

    name_node = own["name"][1]
    name = reader.text(name_node, f"{field}.name")
    port_node, port_field = pick("port")
    role_node, role_field = pick("role")
    timeout_node, timeout_field = pick("timeout_s")
    retries_node, retries_field = pick("retries")
    tags_node, tags_field = pick("tags")
    snmp = _read_snmp(reader, node, own.get("snmp"), defaults.get("snmp"), f"{field}.snmp")
    spikes: SpikeSettings = ()
    port_spikes: tuple[tuple[str, SpikeSettings], ...] = ()
    if "spikes" in own:
        spikes_node = own["spikes"][1]
        ports = reader.mapping(spikes_node, f"{field}.spikes", (*SPIKE_LIMITS, "ports")).get("ports")
        spikes = _read_spikes(reader, spikes_node, f"{field}.spikes", skip=("ports",))
        if ports is not None:
            port_spikes = tuple(
                (reader.text(port_node, f"{field}.spikes.ports"), _read_spikes(reader, settings, f"{field}.spikes.ports.{port_node.value}"))
                for port_node, settings in _pairs(reader, ports[1], f"{field}.spikes.ports"))
    device = Device(
        name=name,
        host=reader.host(own["host"][1], f"{field}.host"),
        port=reader.integer(port_node, port_field, 1, 65535) if port_node else 161,
        roles=frozenset(reader.texts(role_node, role_field, ROLES)) if role_node else frozenset({"switch"}),
        snmp=snmp,
        timeout_s=reader.number(timeout_node, timeout_field, 0.0, 300.0) if timeout_node else 2.0,
        retries=reader.integer(retries_node, retries_field, 0, 10) if retries_node else 1,
        tags=reader.texts(tags_node, tags_field) if tags_node else (),
        source=f"{reader.path}:{node.start_mark.line + 1}",
        spikes=spikes,
        port_spikes=port_spikes,
    )
    return device, name_node


def _pairs(reader: _FileReader, node: yaml.Node, field: str) -> list[tuple[yaml.Node, yaml.Node]]:
    """The (key, value) nodes of a mapping whose keys are free (port names), duplicates refused."""
    if not isinstance(node, yaml.MappingNode):
        raise reader.error(node, field, f"expected a mapping of port name to thresholds, got {_kind(node)}")
    seen: set[object] = set()
    for key_node, _ in node.value:
        if key_node.value in seen:
            raise reader.error(key_node, f"{field}.{key_node.value}", "duplicate port")
        seen.add(key_node.value)
    return list(node.value)


def _read_spikes(reader: _FileReader, node: yaml.Node, field: str, skip: tuple[str, ...] = ()) -> SpikeSettings:
    """A spikes block: each threshold checked against its range (see SPIKE_LIMITS)."""
    settings = []
    for key, (_, value_node) in reader.mapping(node, field, (*SPIKE_LIMITS, *skip)).items():
        if key in skip:
            continue
        low, high, whole = SPIKE_LIMITS[key]
        value = (reader.integer(value_node, f"{field}.{key}", int(low), int(high)) if whole
                 else reader.number(value_node, f"{field}.{key}", low, high))
        settings.append((key, float(value)))
    return tuple(settings)


def _read_snmp(
    reader: _FileReader,
    device_node: yaml.Node,
    own: tuple[yaml.Node, yaml.Node] | None,
    default: tuple[yaml.Node, yaml.Node] | None,
    field: str,
) -> SnmpSettings:
    merged: dict[str, tuple[yaml.Node, str]] = {}
    for entry, label in ((default, "defaults.snmp"), (own, field)):
        if entry is not None:
            for key, (_, value_node) in reader.mapping(entry[1], label, SNMP_KEYS).items():
                merged[key] = (value_node, f"{label}.{key}")
    anchor = own[1] if own else device_node
    if "version" not in merged:
        raise reader.error(anchor, f"{field}.version", "missing: say 1, 2c or 3 (here or under defaults)")
    version_node, version_field = merged["version"]
    version = reader.choice(version_node, version_field, SNMP_VERSIONS)

    def get(key: str, convert):  # type: ignore[no-untyped-def]
        if key not in merged:
            return None
        node, label = merged[key]
        return convert(node, label)

    secrets = {key: get(key, reader.secret) for key in SECRET_KEYS}
    max_repetitions = get("max_repetitions", lambda n, f: reader.integer(n, f, 1, 100)) or 25
    if version in ("1", "2c"):
        if secrets["community"] is None:
            raise reader.error(anchor, f"{field}.community", f"missing: SNMP v{version} needs a community")
        return SnmpSettings(version=version, community=secrets["community"], max_repetitions=max_repetitions)

    user = get("user", reader.text)
    if user is None:
        raise reader.error(anchor, f"{field}.user", "missing: SNMPv3 needs a user")
    level = get("security_level", lambda n, f: reader.choice(n, f, SECURITY_LEVELS))
    if level is None:
        level = "authPriv" if secrets["priv_password"] else "authNoPriv" if secrets["auth_password"] else "noAuthNoPriv"
    needed = {"noAuthNoPriv": (), "authNoPriv": ("auth_password",), "authPriv": ("auth_password", "priv_password")}[level]
    for key in needed:
        if secrets[key] is None:
            raise reader.error(anchor, f"{field}.{key}", f"missing: security level {level} needs it")
        if len(secrets[key].reveal()) < MIN_V3_PASSWORD:
            node, label = merged[key]
            raise reader.error(node, label, f"too short: SNMPv3 pass phrases need at least {MIN_V3_PASSWORD} characters")
    return SnmpSettings(
        version="3",
        user=user,
        security_level=level,
        auth_protocol=get("auth_protocol", lambda n, f: reader.choice(n, f, AUTH_PROTOCOLS)) or "sha",
        auth_password=secrets["auth_password"],
        priv_protocol=get("priv_protocol", lambda n, f: reader.choice(n, f, PRIV_PROTOCOLS)) or "aes128",
        priv_password=secrets["priv_password"],
        max_repetitions=max_repetitions,
    )
