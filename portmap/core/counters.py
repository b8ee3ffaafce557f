"""Counter differences: wraps, resets and what is physically possible on a link. On arrays:
one call covers every counter of every port of a device."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COUNTER32_MODULO = 2**32
WIRE_BYTES_PER_MIN_FRAME = 84
"""A 64-byte Ethernet frame plus preamble and inter-frame gap: the most packets a link carries."""
PLAUSIBLE_MARGIN = 1.1
"""A rate up to 10 % above line speed is measurement skew; beyond that it is a glitch."""
FASTEST_LINK_BPS = 400e9
"""Where a device reports no interface speed at all, no link of it carries more than this."""
MIN_FRAME_BYTES = 40.0
"""No frame is smaller: 42 B is an unpadded ARP frame (virtual links do not pad to 60 B), with
a margin for octets and packets read a moment apart."""
MAX_FRAME_BYTES = 65_536 * PLAUSIBLE_MARGIN
"""No counted packet is larger (a virtual link's segmentation offload counts up to 64 KiB)."""


@dataclass(frozen=True, slots=True)
class CounterDeltas:
    """Element by element: the increase, whether it is a 32-bit wrap, and where there is none."""

    values: np.ndarray
    """uint64; meaningless where `reset` or `absent`."""
    wrapped: np.ndarray
    reset: np.ndarray
    """The counter went back (or changed width): reset, not wrapped."""
    absent: np.ndarray
    """Not read in one of the two samples (width 0)."""


def counter_deltas(before: np.ndarray, after: np.ndarray, widths_before: np.ndarray, widths_after: np.ndarray) -> CounterDeltas:
    """The increases between two readings of uint64 counters of the given widths (32, 64; 0 absent).

    A 32-bit counter that goes down wrapped (once, as far as one can tell); a 64-bit
    counter that goes down was reset, since at 100 Gb/s it takes decades to wrap.
    A change of width (32 -> 64 bits) is a discontinuity too.
    """
    absent = (widths_before == 0) | (widths_after == 0)
    went_down = after < before
    wrapped = went_down & (widths_after == 32) & (widths_before == 32)
    reset = ~absent & ((widths_before != widths_after) | (went_down & ~wrapped))
    values = after - before + np.where(wrapped, np.uint64(COUNTER32_MODULO), np.uint64(0))  # modulo 2**64: exact
    return CounterDeltas(values, wrapped, reset, absent)


def max_octets(speed_bps: np.ndarray, interval_s: float) -> np.ndarray:
    """The most octets a link of each speed can carry in the interval, with margin; inf where the speed is unknown."""
    return np.where(speed_bps > 0, speed_bps / 8 * interval_s * PLAUSIBLE_MARGIN, np.inf)


def max_packets(speed_bps: np.ndarray, interval_s: float) -> np.ndarray:
    """The most packets (minimum-size frames) a link can carry in the interval, with margin; inf where unknown."""
    return np.where(speed_bps > 0, speed_bps / 8 / WIRE_BYTES_PER_MIN_FRAME * interval_s * PLAUSIBLE_MARGIN, np.inf)


def plausible_speed(speed_bps: np.ndarray) -> np.ndarray:
    """Each port's speed for what its counters can do: a port of unknown speed (0) is taken for the
    device's fastest, else FASTEST_LINK_BPS. An agent's 64-bit carry bug then shows on it too."""
    known = speed_bps > 0
    if known.all():
        return speed_bps
    fastest = float(speed_bps.max()) if known.any() else FASTEST_LINK_BPS
    return np.where(known, speed_bps, fastest)


def impossible_sizes(octets_ps: np.ndarray, packets_ps: np.ndarray) -> np.ndarray:
    """Where the average packet those rates make is no packet at all: under MIN_FRAME_BYTES, or
    over MAX_FRAME_BYTES (octets with no packets included): a counter that jumped (an agent's
    64-bit carry bug adds exactly 2**32), not traffic. NaN rates are never impossible."""
    with np.errstate(invalid="ignore", divide="ignore"):
        size = octets_ps / np.maximum(packets_ps, 1e-9)
        small = (packets_ps > 0) & (size < MIN_FRAME_BYTES)
        large = (octets_ps > MAX_FRAME_BYTES) & (size > MAX_FRAME_BYTES)
    return small | large


def counter32_may_wrap_twice(speed_bps: np.ndarray, interval_s: float) -> np.ndarray:
    """Where a 32-bit octet counter can wrap more than once in the interval at line speed."""
    return (speed_bps > 0) & (speed_bps / 8 * interval_s >= COUNTER32_MODULO)
