"""Worker threads for the heavy part of a request, so the event loop stays free to answer
everything else (`/healthz` included) while a large body is parsed and validated or an
answer is generated.

Each kind of work has its own small pool: a burst of record validations cannot take the
threads chat needs, and work abandoned at its time limit keeps at most its own pool busy
(a Python thread cannot be stopped; the limits on the input bound how long it runs on).
"""

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from app.core.config import Settings
from app.errors import DeadlineExceeded

T = TypeVar("T")

# Parsing and validation hold the GIL; more threads would not make them faster.
RECORD_THREADS = 2
# Chat mostly waits on the model (llama.cpp and HTTP release the GIL).
CHAT_THREADS = 8
# Storing submissions and edits (screening, database): apart from parsing, so a burst of
# writes never makes a waiting parse miss its time limit.
WRITE_THREADS = 4


class WorkerPool:
    def __init__(self, name: str, threads: int) -> None:
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix=f"gaios-{name}")

    async def run(self, fn: Callable[..., T], *args: Any, seconds: float | None,
                  what: str = "the request", **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a worker thread (with the caller's context: request id,
        metrics), or `DeadlineExceeded` (504) after `seconds` (None: no limit)."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        future = asyncio.get_running_loop().run_in_executor(self.executor, call)
        try:
            return await asyncio.wait_for(future, seconds)
        except TimeoutError:
            raise DeadlineExceeded(f"{what} took longer than the limit of {seconds:g} s") from None

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class WorkerPools:
    """The pools of one application, with the time limits from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.records = WorkerPool("records", RECORD_THREADS)
        self.chat = WorkerPool("chat", CHAT_THREADS)
        self.writes = WorkerPool("writes", WRITE_THREADS)
        self.validation_seconds = settings.validation_timeout_seconds
        self.chat_seconds = settings.chat_timeout_seconds

    async def validate(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Parsing or validation of a record, under the validation time limit."""
        return await self.records.run(fn, *args, seconds=self.validation_seconds,
                                      what="checking the record", **kwargs)

    async def answer(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One chat answer, under the chat time limit."""
        return await self.chat.run(fn, *args, seconds=self.chat_seconds,
                                   what="answering the question", **kwargs)

    def shutdown(self) -> None:
        self.records.shutdown()
        self.chat.shutdown()
        self.writes.shutdown()


def within(events: Iterable[T], seconds: float, *, what: str) -> Iterator[T]:
    """The events of a stream until `seconds` have passed, then `DeadlineExceeded` (the
    limit is checked between events: a stream cannot stop a model mid-sentence)."""
    deadline = time.monotonic() + seconds
    iterator = iter(events)
    try:
        for event in iterator:
            if time.monotonic() > deadline:
                raise DeadlineExceeded(f"{what} took longer than the limit of {seconds:g} s")
            yield event
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
