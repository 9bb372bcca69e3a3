"""Races made on purpose: another transaction holding a row, and callers starting together."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from lambdas.shared.db.unit_of_work import UnitOfWork


@contextmanager
def held(lock: Callable[[UnitOfWork], object], seconds: float = 0.5) -> Iterator[None]:
    """Inside the block, another transaction holds what ``lock(uow)`` locks, for ``seconds``: as a
    workflow's step holds a row while it starts to wait, or a slow request holds it."""
    locked = threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            with UnitOfWork("someone-else") as uow:
                lock(uow)
                locked.set()
                threading.Event().wait(seconds)
        except BaseException as error:  # reported to the test, not lost in the thread
            failure.append(error)
            locked.set()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait()
    try:
        yield
    finally:
        thread.join()
    if failure:
        raise failure[0]


def all_at_once(work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """``work`` on every item, each on its own thread, released together."""
    start = threading.Barrier(len(items))

    def one(item: Any) -> Any:
        start.wait()
        return work(item)

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(one, items))
