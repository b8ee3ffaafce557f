"""Agent-supplied text made safe to draw on a terminal, and measured in terminal cells.

sysName, ifName, ifAlias, LLDP/CDP names and port IDs, reverse DNS names: whatever an agent
or a resolver sends reaches the operator's terminal only through shown(). Control characters
(C0, C1, DEL: ESC sequences, CR/LF) are written escaped, bidirectional overrides and
zero-width characters are written as their code, and the length is capped (a 60 kB alias
must not pad every row). Invalid UTF-8 was replaced when decoded (snmp/values.text). The
JSON documents keep the exact values: json escapes what needs escaping.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

MAX_SHOWN = 64
"""Characters of one agent-supplied string drawn at most."""
_INVISIBLE = frozenset([*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065), *range(0x2066, 0x206A), 0xFEFF])
"""Zero-width characters and bidirectional embeddings, overrides and isolates."""


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` as it may be drawn: every control and invisible character written as its escape,
    at most `limit` characters (the cut marked with '…')."""
    safe = "".join(
        f"\\x{ord(c):02x}" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0
        else f"\\u{ord(c):04x}" if ord(c) in _INVISIBLE
        else c
        for c in text[: limit * 2])
    return safe if len(safe) <= limit and len(text) <= limit * 2 else safe[: limit - 1] + "…"


def cells(text: str) -> int:
    """Terminal cells the text takes: wide (CJK) characters two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit(text: str, width: int, right: bool = False) -> str:
    """`text` cut or padded to exactly `width` cells (to the right for numbers)."""
    while cells(text) > width:
        text = text[:-1]
    padding = " " * (width - cells(text))
    return padding + text if right else text + padding


def aligned(titles: Sequence[str], rows: Sequence[Sequence[str]], least: Sequence[int] = ()) -> list[str]:
    """A table in columns two cells apart, its titles first: each column as wide as its widest
    cell, or its `least` width."""
    widths = [max([least[i] if i < len(least) else 0, len(title)] + [cells(row[i]) for row in rows]) for i, title in enumerate(titles)]
    lines = ["  ".join(title.ljust(widths[i]) for i, title in enumerate(titles)).rstrip()]
    return lines + ["  ".join(fit(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def plural(count: int, word: str, many: str | None = None) -> str:
    """`word` for one, else its plural (`many`, or the word with an s): "1 MAC", "2 MACs"."""
    return word if count == 1 else many or word + "s"
