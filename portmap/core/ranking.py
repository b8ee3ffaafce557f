"""A poll's ports in the order an operator should see them, ranked on the rate arrays.

The flagged ports (a few) are built as records and ordered by flags.rank_ports: incidents
first, then the other flagged ports. The quiet rest are ordered by their sort key computed
for every row at once, and each of their records is built only when a face asks for it: a
snapshot of 50,000 ports holds the rate arrays and an order, not 200,000 records.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import overload

import numpy as np

from portmap.core.flags import PortFlag, PortKey, RankedPort, rank_ports
from portmap.core.thresholds import FlagThresholds
from portmap.core.rates import SORT_COLUMNS, DeviceRates, PortRates
from portmap.core.topology import NO_PATH, FloodPath


def _row_starts(all_rates: Sequence[DeviceRates]) -> np.ndarray:
    """Where each device's rows start when the rows of `all_rates` are numbered in turn."""
    return np.cumsum([0, *(len(rates) for rates in all_rates)])


class RankedPorts(Sequence[RankedPort]):
    """The ranked ports of one poll: the flagged ones built, the quiet ones built when read."""

    def __init__(self, flagged: list[RankedPort], all_rates: Sequence[DeviceRates], quiet: np.ndarray,
                 sort: str, rank: Callable[[str], RankedPorts]) -> None:
        """`quiet`: rows numbered across `all_rates` in turn, in rank order. `rank`: the same
        poll ranked by another sort key (rank_rates with the same flags)."""
        self._flagged = flagged
        self._rates = all_rates
        self._quiet = quiet
        self._starts = _row_starts(all_rates)
        self.sort = sort
        self._rank = rank
        self._orders: dict[str, RankedPorts] = {sort: self}

    def by(self, sort: str) -> RankedPorts:
        """The same ports ranked by another `--sort` key (incidents still first), computed once."""
        if sort not in self._orders:
            self._orders[sort] = self._rank(sort)
        return self._orders[sort]

    @property
    def device_rates(self) -> Sequence[DeviceRates]:
        """The poll's rates as arrays, a DeviceRates per device that answered (for whole-poll work: rollups)."""
        return self._rates

    @property
    def flagged(self) -> list[RankedPort]:
        """The flagged ports, in rank order: they lead."""
        return self._flagged

    def __len__(self) -> int:
        return len(self._flagged) + len(self._quiet)

    @overload
    def __getitem__(self, at: int) -> RankedPort: ...

    @overload
    def __getitem__(self, at: slice) -> list[RankedPort]: ...

    def __getitem__(self, at: int | slice) -> RankedPort | list[RankedPort]:
        if isinstance(at, slice):
            return [self[i] for i in range(*at.indices(len(self)))]
        if at < 0:
            at += len(self)
        if not 0 <= at < len(self):
            raise IndexError(at)
        if at < len(self._flagged):
            return self._flagged[at]
        row = int(self._quiet[at - len(self._flagged)])
        device = int(np.searchsorted(self._starts, row, side="right")) - 1
        return RankedPort(self._rates[device].port(row - int(self._starts[device])))

    def __iter__(self) -> Iterator[RankedPort]:
        yield from self._flagged
        records = [port for rates in self._rates for port in rates.ports()]
        for row in self._quiet.tolist():
            yield RankedPort(records[row])


def rank_rates(
    all_rates: Sequence[DeviceRates],
    flags: Mapping[PortKey, tuple[PortFlag, ...]],
    sort: str = "pps",
    limits: FlagThresholds = FlagThresholds(),
    uplinks: Collection[PortKey] = frozenset(),
    since: Mapping[PortKey, float] | None = None,
    path: FloodPath = NO_PATH,
) -> RankedPorts:
    """flags.rank_ports's order for every port of `all_rates`, without a record per quiet port."""
    by_device = {rates.device: (rates, start) for rates, start in zip(all_rates, _row_starts(all_rates).tolist())}
    found: dict[int, PortRates] = {}
    """The flagged ports, by row across `all_rates` (flags of devices not in this poll are not shown)."""
    for (device, if_index), port_flags in flags.items():
        if port_flags and device in by_device:
            rates, start = by_device[device]
            for row in np.flatnonzero(rates.if_indexes == if_index)[:1].tolist():
                found[start + row] = rates.port(row)
    flagged = rank_ports([found[at] for at in sorted(found)], flags, sort, limits, uplinks, since, path)  # ties keep row order
    keys = np.concatenate([SORT_COLUMNS[sort](rates.per_second, rates.speed_bps) for rates in all_rates]) if all_rates else np.zeros(0)
    quiet = np.ones(len(keys), bool)
    quiet[list(found)] = False
    rows = np.flatnonzero(quiet)
    order = rows[np.argsort(-keys[rows], kind="stable")]
    return RankedPorts(flagged, all_rates, order, sort,
                       lambda other: rank_rates(all_rates, flags, other, limits, uplinks, since, path))
