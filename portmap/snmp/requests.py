"""The one request builder: instances encoded as a request carries them, and packed into GETs
whose answers fit. Readers name instances (a column and an index); only this module and the
transports touch BER.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from portmap.errors import SnmpAgentError, SnmpTimeout
from portmap.snmp.ber import encode_arcs, encode_varbind, encode_varbind_list, join_varbinds, null_varbind, oid_contents
from portmap.snmp.oids import Oid
from portmap.snmp.values import SnmpValue

if TYPE_CHECKING:  # the session encodes its own requests here
    from portmap.snmp.session import DeviceSession

MAX_GET_RESPONSE_BYTES = 1400
"""Instances are packed into one GET until its answer could exceed this: under an Ethernet
MTU, and under Cisco IOS's default SNMP packet size of 1,500 bytes."""
MAX_ANSWER_GROWTH = 9
"""What an answer adds to a varbind asked, at most: a Counter64 (up to 11 bytes) in place of
NULL (2). Where the value's size is known (the last read's), less (get_packed's `growth`)."""

_CONTENTS: dict[Oid, bytes] = {}


def instance_list(instances: Sequence[Oid]) -> bytes:
    """A variable-bindings list asking these instances (for session.get_values)."""
    return encode_varbind_list([tuple(oid) for oid in instances])


def scalar(oid: Oid) -> bytes:
    """One instance asked, as a request carries it."""
    return encode_varbind(oid)


def column_contents(column: Oid) -> bytes:
    """A column's OID encoded (its contents, without tag and length), made once for all devices."""
    contents = _CONTENTS.get(column)
    if contents is None:
        contents = _CONTENTS[column] = oid_contents(column)
    return contents


_ROWS: dict[tuple[tuple[bytes, ...], int], tuple[bytes, ...]] = {}


def row_instances(columns: tuple[bytes, ...], if_index: int) -> tuple[bytes, ...]:
    """The instance `if_index` of each column (column_contents) asked, as a request carries it.
    Encoded once for every device whose port of that ifIndex is asked the same columns: devices
    of one model number their ports alike, so a thousand switches share a few hundred rows
    (at most one a port, where no two devices number alike), and no poll encodes them again."""
    row = _ROWS.get((columns, if_index))
    if row is None:
        arcs = encode_arcs((if_index,))
        row = _ROWS[(columns, if_index)] = tuple(null_varbind(contents + arcs) for contents in columns)
    return row


class _Packer:
    """Consecutive varbinds, taken a GET at a time; what does not fit waits for the next.
    A thousand devices' reads are under way at once: their packers hold arrays, not an int
    object per varbind."""

    def __init__(self, varbinds: Sequence[bytes], growth: Sequence[int] | np.ndarray | None) -> None:
        self._varbinds = varbinds
        assert growth is None or len(growth) == len(varbinds), "a growth for each varbind"
        sizes = np.fromiter(map(len, varbinds), np.int32, len(varbinds))
        self._ends = np.cumsum(sizes + (MAX_ANSWER_GROWTH if growth is None else np.asarray(growth, np.int32)), dtype=np.int32)
        """Where each varbind's answer would end, counted from the first one's start."""
        self._next = 0

    def batch(self, most: int) -> Sequence[bytes]:
        """The next GET's varbinds: at most `most`, with an answer under MAX_GET_RESPONSE_BYTES
        (the first always, however big)."""
        start = self._next
        before = self._ends[start - 1] if start else 0
        candidates = self._ends[start:min(start + most, len(self._ends))]
        stop = start + int(np.searchsorted(candidates, before + MAX_GET_RESPONSE_BYTES, side="right"))
        self._next = stop = max(stop, min(start + 1, len(self._ends)))
        return self._varbinds[start:stop]

    def put_back(self, batch: Sequence[bytes]) -> None:
        self._next -= len(batch)


async def get_packed(session: DeviceSession, varbinds: Sequence[bytes], take: Callable[[list[SnmpValue]], None],
                     growth: Sequence[int] | np.ndarray | None = None) -> float:
    """GET every instance of `varbinds`, packed; each answer's values handed to `take` in order.
    `growth`: the bytes each varbind's answer adds to it, where the caller knows them (from the
    sizes of the values it last read); MAX_ANSWER_GROWTH each otherwise.
    A GET the agent finds too big, or whose answer never comes while the agent answers a small
    GET, lowers the session's most instances per GET to half of it, for this and later polls.
    Returns when the first answer arrived."""
    first_answer = 0.0
    packer = _Packer(varbinds, growth)
    while batch := packer.batch(session.max_get_varbinds):
        try:
            take(await session.get_values(join_varbinds(batch)))
        except SnmpAgentError as error:
            if error.status != "tooBig" or len(batch) == 1:
                raise
            session.max_get_varbinds = len(batch) // 2
            packer.put_back(batch)
            continue
        except SnmpTimeout:
            if len(batch) == 1 or not await session.answers_small_get():
                raise
            session.max_get_varbinds = len(batch) // 2
            packer.put_back(batch)
            continue
        first_answer = first_answer or session.last_answer_s
    return first_answer
