"""What is normal for each port: a robust level and spread per direction and metric.

Each series keeps an exponentially weighted level and mean absolute deviation. It learns
only from intervals with a valid rate and only from samples that are not flagged, so a
flood never teaches the baseline that floods are normal, and a reboot teaches it nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

METRICS = ("pps", "bps", "bcast_pps", "errors_ps")
"""errors_ps here counts errors and discards together."""

SeriesKey = tuple[str, int, str, str]
"""(device, ifIndex, direction 'in'|'out', metric)."""


@dataclass(slots=True)
class Baseline:
    level: float = 0.0
    spread: float = 0.0
    """Mean absolute deviation around the level."""
    samples: int = 0
    updated_at: float = 0.0
    """Wall-clock time of the last sample learned (epoch seconds)."""

    def learn(self, value: float, alpha: float, now: float) -> None:
        """Move towards `value`; the first 1/alpha samples are averaged plainly, so a young
        baseline is their mean, not dragged towards whichever sample came first."""
        weight = max(alpha, 1.0 / (self.samples + 1))
        if self.samples:
            self.spread += weight * (abs(value - self.level) - self.spread)
        self.level += weight * (value - self.level)
        self.samples += 1
        self.updated_at = now

    def warm(self, warmup: int) -> bool:
        return self.samples >= warmup
