"""Bar charts in text: the TUI's port screen and `portmap incidents ID`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from portmap.present import numbers as fmt

BARS = "▁▂▃▄▅▆▇█"


def chart(values: Sequence[float], width: int, height: int, show: Callable[[float | None], str], interval_s: float,
          ends: tuple[str, str] | None = None) -> list[str]:
    """A bar chart of the last `width` values, `height` lines tall, with its scale on the left
    (the highest value and 0) and a time axis under it: how long ago to now, or `ends` (the first
    and the last value's times)."""
    values = list(values)[-width:]
    top = max(values, default=0.0)
    scale = max(len(show(top)), len(show(0.0)))
    lines = []
    for row in range(height):
        floor = (height - 1 - row) * 8
        bars = "".join(" " if (level := int(v / top * height * 8 + 0.5) - floor if top > 0 else 0) <= 0
                       else BARS[min(level, 8) - 1] for v in values)
        label = show(top) if row == 0 else show(0.0) if row == height - 1 else ""
        lines.append(f"{label:>{scale}} ┤{bars}")
    span = (len(values) - 1) * interval_s
    ago = "" if len(values) < 2 else f"-{span:g}s" if span < 90 else "-" + fmt.duration(span).replace(" ", "")
    first, last = ends or (ago, "now")
    lines.append(" " * (scale + 2) + first + last.rjust(max(len(last), len(values) - len(first))))
    return lines
