"""A watch's frames written to the history store, off the poll loop.

`portmap run` cannot go on without its store; `ui`, `top` and `live` keep history only when it
is asked for (`--store`, or the inventory's `store:` block) and poll on without it, with one
warning, when another portmap writes that store (one writer per store).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError

from portmap.core.neighbourhood import Neighbourhood
from portmap.core.rollups import Retention
from portmap.core.snapshot import Frame, Snapshot
from portmap.engine.store.place import HistoryPlace
from portmap.engine.store.published import write_published
from portmap.engine.store.store import Store, StoreError, database_words
from portmap.engine.store.writer import HistoryWriter

log = logging.getLogger("portmap.history")


class HistoryKeeper:
    def __init__(self, store: Store, retention: Retention, publisher: str | None = None) -> None:
        """`publisher`: the poller sharing the store that this keeper writes for: each poll is
        also published, for the faces on other machines (engine/store/published.py)."""
        self.store, self.publisher = store, publisher
        self.writer = HistoryWriter(store, retention)
        self._recorded: Neighbourhood | None = None
        self._last: Snapshot | None = None
        self._writing: set[asyncio.Future[None]] = set()
        self._unpublished = False

    async def _write(self, record: Callable[..., None], *args: object) -> None:
        """In a thread (the poll loop goes on), shielded: a stop waits for the write in progress.
        A store that fails (a database gone) stops the watch with one line: a run keeps history."""
        task = asyncio.ensure_future(asyncio.to_thread(record, *args))
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)
        try:
            await asyncio.shield(task)
        except SQLAlchemyError as error:
            raise self.store.failed(error) from None

    async def keep(self, frame: Frame) -> None:
        neighbourhood = frame.neighbourhood
        if neighbourhood is not None and neighbourhood is not self._recorded:  # the tables were read again
            await self._write(self.writer.record_neighbourhood, neighbourhood, neighbourhood.read_at)
            self._recorded = neighbourhood
        await self._write(self.writer.record_incidents, frame.snapshot, neighbourhood)
        await self._write(self.writer.record_rates, frame.snapshot)
        if self.publisher is not None:
            await self._publish(self.publisher, frame)
        self._last = frame.snapshot

    async def _publish(self, publisher: str, frame: Frame) -> None:
        """The poll published for the faces: what is lost there is one frame of a view, not history,
        so a store that fails here is one warning (the history writes stop the run)."""
        try:
            await self._write(write_published, self.store, publisher, frame)
            self._unpublished = False
        except StoreError as error:
            if not self._unpublished:
                log.warning("polls not published for the faces until the store answers: %s", error)
            self._unpublished = True

    async def close(self) -> None:
        """The writes in progress finished, the minute in progress written as it stands."""
        if self._writing:
            await asyncio.wait(self._writing)
        try:
            self.writer.flush_rates(self._last)
        except SQLAlchemyError as error:
            log.warning("the minute in progress not kept: %s", database_words(error))
        self.store.close()


@asynccontextmanager
async def keeping(place: HistoryPlace) -> AsyncIterator[HistoryKeeper | None]:
    """The keeper of `place`'s store while the block runs (None: it cannot be written, and need not be)."""
    try:
        store = Store(place.location, writer=True, shared=place.poller is not None)
    except StoreError as error:
        if place.required:
            raise
        log.warning("history not kept by this run: %s", error)
        yield None
        return
    keeper = HistoryKeeper(store, place.retention, place.poller.name if place.poller else None)
    try:
        yield keeper
    finally:
        await keeper.close()
