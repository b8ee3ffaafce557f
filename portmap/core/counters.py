"""Counter differences: wraps, resets and what is physically possible on a link."""

from __future__ import annotations

from dataclasses import dataclass

from portmap.core.samples import Counter

COUNTER32_MODULO = 2**32
WIRE_BYTES_PER_MIN_FRAME = 84
"""A 64-byte Ethernet frame plus preamble and inter-frame gap: the most packets a link carries."""
PLAUSIBLE_MARGIN = 1.1
"""A rate up to 10 % above line speed is measurement skew; beyond that it is a glitch."""


@dataclass(frozen=True, slots=True)
class CounterDelta:
    value: int
    wrapped: bool


def counter_delta(prev: Counter, cur: Counter) -> CounterDelta | None:
    """The increase between two readings; None where the counter was reset, not wrapped.

    A 32-bit counter that goes down wrapped (once, as far as one can tell); a 64-bit
    counter that goes down was reset, since at 100 Gb/s it takes decades to wrap.
    A change of width (32 -> 64 bits) is a discontinuity too.
    """
    if prev.bits != cur.bits:
        return None
    if cur.value >= prev.value:
        return CounterDelta(cur.value - prev.value, wrapped=False)
    if cur.bits == 32:
        return CounterDelta(cur.value + COUNTER32_MODULO - prev.value, wrapped=True)
    return None


def max_octets(speed_bps: int, interval_s: float) -> float | None:
    """The most octets a link of this speed can carry in the interval, with margin."""
    if speed_bps <= 0:
        return None
    return speed_bps / 8 * interval_s * PLAUSIBLE_MARGIN


def max_packets(speed_bps: int, interval_s: float) -> float | None:
    """The most packets (minimum-size frames) a link can carry in the interval, with margin."""
    if speed_bps <= 0:
        return None
    return speed_bps / 8 / WIRE_BYTES_PER_MIN_FRAME * interval_s * PLAUSIBLE_MARGIN


def counter32_may_wrap_twice(speed_bps: int, interval_s: float) -> bool:
    """True where a 32-bit octet counter can wrap more than once in the interval at line speed."""
    return speed_bps > 0 and speed_bps / 8 * interval_s >= COUNTER32_MODULO
