"""One metric axis: every per-direction rate defined once, in one order.

DeviceRates.per_second's last axis, DirectionRates' fields and the baselines' series all
name their metrics from here. `trouble_ps` (errors + discards) is computed once, with the
rates: it is what ERR/S shows, `--sort errors` orders by and an error burst is judged on.
"""

from __future__ import annotations

METRICS = ("bps", "pps", "mcast_pps", "bcast_pps", "errors_ps", "discards_ps", "trouble_ps")
BPS, PPS, MCAST, BCAST, ERRORS, DISCARDS, TROUBLE = range(len(METRICS))
DIRECTIONS = ("in", "out")
"""`in` is what the attached device sends, `out` what it is sent."""
IN, OUT = range(len(DIRECTIONS))
LEARNED = (PPS, BPS, BCAST, TROUBLE)
"""The metrics a port's baseline learns, as positions in METRICS."""
LEARNED_NAMES = tuple(METRICS[metric] for metric in LEARNED)
