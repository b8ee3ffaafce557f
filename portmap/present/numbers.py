"""The one formatter for the numbers an operator reads, shared by `top`, reasons and the TUI."""

from __future__ import annotations

_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def _scaled(value: float) -> tuple[str, str]:
    """48200 -> ('48.2', 'k'): at most three significant figures and an SI prefix."""
    prefix = ""
    for scale, candidate in _PREFIXES:
        if abs(value) >= scale * 0.9995:
            value, prefix = value / scale, candidate
            break
    if value == int(value) and not prefix:
        return f"{value:.0f}", prefix
    return (f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"), prefix


def si(value: float | None) -> str:
    if value is None:
        return "-"
    number, prefix = _scaled(value)
    return number + prefix


def pps(value: float | None) -> str:
    return "-" if value is None else f"{si(value)} pps"


def bps(value: float | None) -> str:
    if value is None:
        return "-"
    number, prefix = _scaled(value)
    return f"{number} {prefix}b/s"


def byte_rate(bits_per_second: float | None) -> str:
    """A bit rate written in bytes per second (the TUI's `b` key)."""
    if bits_per_second is None:
        return "-"
    number, prefix = _scaled(bits_per_second / 8)
    return f"{number} {prefix}B/s"


def nbytes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} B"


def pct(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"


def per_second(value: float | None) -> str:
    return "-" if value is None else f"{si(value)}/s"


def duration(seconds: float) -> str:
    """'45 s', '12 min', '3 h 5 min'."""
    if seconds < 90:
        return f"{max(0, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"
