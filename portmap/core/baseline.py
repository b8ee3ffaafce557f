"""What is normal for each port: a robust level and spread per direction and metric.

Each series keeps an exponentially weighted level and mean absolute deviation. It learns
only from intervals with a valid rate and only from samples that are not flagged, so a
flood never teaches the baseline that floods are normal, and a reboot teaches it nothing.

The series of every port live in a BaselineStore: arrays indexed by a port's slot, so a
poll's learning is a few array operations and a port costs about 200 bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from portmap.core.metrics import DIRECTIONS, LEARNED_NAMES

PortIdentity = tuple[str, str]
"""(device, the port's identity: core/identity.py)."""
SeriesKey = tuple[str, str, str, str]
"""(device, port identity, direction 'in'|'out', metric)."""


@dataclass(slots=True)
class Baseline:
    """One series, as stored between runs and shown in tests."""

    level: float = 0.0
    spread: float = 0.0
    """Mean absolute deviation around the level."""
    samples: int = 0
    updated_at: float = 0.0
    """Wall-clock time of the last sample learned (epoch seconds)."""

    def warm(self, warmup: int) -> bool:
        return self.samples >= warmup


class BaselineStore:
    """Every port's series: arrays of shape (slots, DIRECTIONS, LEARNED_NAMES)."""

    def __init__(self, saved: Mapping[SeriesKey, Baseline] | None = None) -> None:
        """`saved`: what an earlier run learned; a port takes its series when it gets its slot."""
        self._saved = dict(saved or {})
        self.slots: dict[PortIdentity, int] = {}
        self.keys: list[PortIdentity] = []
        shape = (64, len(DIRECTIONS), len(LEARNED_NAMES))
        self.level, self.spread, self.updated_at = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        self.samples = np.zeros(shape, np.int32)
        self.rises = np.zeros(shape[:2], np.int16)
        """Intervals in a row each direction's packet rate jumped far above its level (Detector)."""
        self.unconfirmed = np.full(shape, np.nan)
        """The last interval's values, taught a poll late (Detector): dropped where the next one is flagged."""

    def slot(self, key: PortIdentity) -> int:
        """The port's slot, made on first sight."""
        found = self.slots.get(key)
        if found is not None:
            return found
        slot = self.slots[key] = len(self.keys)
        self.keys.append(key)
        if slot == len(self.level):
            more = len(self.level) // 4  # a quarter at a time: at most a fifth of the store is spare
            for name in ("level", "spread", "updated_at", "samples", "rises", "unconfirmed"):
                grown = getattr(self, name)
                empty = np.nan if name == "unconfirmed" else 0
                setattr(self, name, np.concatenate([grown, np.full((more, *grown.shape[1:]), empty, grown.dtype)]))
        self._restore(slot, key)
        return slot

    def _restore(self, slot: int, key: PortIdentity) -> None:
        """The slot's series from the saved ones, where there are some."""
        for d, direction in enumerate(DIRECTIONS):
            for m, metric in enumerate(LEARNED_NAMES):
                saved = self._saved.pop((*key, direction, metric), None)
                if saved is not None:
                    self.level[slot, d, m], self.spread[slot, d, m] = saved.level, saved.spread
                    self.samples[slot, d, m], self.updated_at[slot, d, m] = saved.samples, saved.updated_at

    def adopt(self, saved: Mapping[SeriesKey, Baseline]) -> None:
        """Series another process learned since (a device taken over from another poller): they
        replace what this store held of them, and the interval held back to teach is dropped."""
        self._saved.update(saved)
        for key in {series[:2] for series in saved}:
            slot = self.slots.get(key)  # type: ignore[arg-type]
            if slot is not None:
                self._restore(slot, key)  # type: ignore[arg-type]
                self.unconfirmed[slot], self.rises[slot] = np.nan, 0

    def learn(self, slots: np.ndarray, values: np.ndarray, alphas: np.ndarray, now: float) -> None:
        """Each (slot, direction, metric) series moves towards its value in `values` (shape
        (len(slots), directions, metrics); NaN: nothing to learn). A slot appears once per call.
        The first 1/alpha samples are averaged plainly, so a young baseline is their mean,
        not dragged towards whichever sample came first."""
        learning = ~np.isnan(values)
        samples = self.samples[slots]
        weight = np.maximum(alphas[:, None, None], 1.0 / (samples + 1))
        level = self.level[slots]
        deviation = np.abs(values - level)
        spread = self.spread[slots]
        self.spread[slots] = np.where(learning & (samples > 0), spread + weight * (deviation - spread), spread)
        self.level[slots] = np.where(learning, level + weight * (values - level), level)
        self.samples[slots] = samples + learning
        self.updated_at[slots] = np.where(learning, now, self.updated_at[slots])

    def settle(self, slot: int, values: np.ndarray, samples: int, now: float) -> None:
        """The slot's series (shape (directions, metrics); NaN: left alone) take these values as a
        trusted level at once, counted as `samples` intervals: what the operator said is normal."""
        settling = ~np.isnan(values)
        level = np.where(settling, values, self.level[slot])
        self.spread[slot] = np.where(settling, np.maximum(self.spread[slot], 0.1 * np.abs(level)), self.spread[slot])
        self.level[slot] = level
        self.samples[slot] = np.where(settling, np.maximum(self.samples[slot], samples), self.samples[slot])
        self.updated_at[slot] = np.where(settling, now, self.updated_at[slot])

    def get(self, key: SeriesKey) -> Baseline | None:
        """One series, as a copy; None where it has learned nothing."""
        slot = self.slots.get(key[:2])  # type: ignore[arg-type]
        if slot is None:
            saved = self._saved.get(key)
            return None if saved is None else Baseline(saved.level, saved.spread, saved.samples, saved.updated_at)
        at = (slot, DIRECTIONS.index(key[2]), LEARNED_NAMES.index(key[3]))
        if not self.samples[at]:
            return None
        return Baseline(float(self.level[at]), float(self.spread[at]), int(self.samples[at]), float(self.updated_at[at]))

    def __getitem__(self, key: SeriesKey) -> Baseline:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def items(self) -> Iterator[tuple[SeriesKey, Baseline]]:
        """Every series that has learned something (to save), and the saved ones no port took yet."""
        for slot, key in enumerate(self.keys):
            for d, direction in enumerate(DIRECTIONS):
                for m, metric in enumerate(LEARNED_NAMES):
                    if self.samples[slot, d, m]:
                        yield (*key, direction, metric), Baseline(float(self.level[slot, d, m]), float(self.spread[slot, d, m]),
                                                                  int(self.samples[slot, d, m]), float(self.updated_at[slot, d, m]))
        yield from self._saved.items()
