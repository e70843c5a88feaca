"""Loading the heavy parts of the container in the background as the server starts.

`gaios serve` answers at once: `/healthz` is up and `/readyz` answers 503 `starting`,
naming what is still loading, while one daemon thread loads the embedding model, the
vector store, the keyword index and the language model (seconds each, issue #14). A
request that needs a part first builds it itself or waits for the thread building it
(the container builds each part once)."""

import logging
import threading
import time
from collections.abc import Callable

from app.core.container import Container

log = logging.getLogger("gaios")

Step = tuple[str, Callable[[Container], object]]

STEPS: list[Step] = [
    # One encoding, not only the load: the first call also pays for torch's lazy set-up.
    ("embedding model", lambda c: c.embedder.embed_query("warm-up")),
    ("vector store", lambda c: c.store.count()),
    ("keyword index", lambda c: len(c.keyword)),
    ("language model", lambda c: c.chat.check_backend()),
]


class WarmUp:
    """Runs the loading steps one after the other in a daemon thread; `waiting_for`
    names the steps not finished yet. A step that fails is logged (with the reason,
    which may name internal addresses) and readiness then reports that part down."""

    def __init__(self, container: Container, steps: list[Step] = STEPS) -> None:
        self.container, self._steps = container, steps
        self._waiting = [name for name, _ in steps]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gaios-warm-up", daemon=True)

    @property
    def waiting_for(self) -> list[str]:
        return list(self._waiting)

    def start(self) -> "WarmUp":
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Skip the steps not begun and wait for the one running (a load cannot be cut
        short), so that nothing loads into a container the process is closing."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        for name, step in self._steps:
            if self._stop.is_set():
                return
            started = time.perf_counter()
            try:
                step(self.container)
            except Exception:  # readiness reports the part down; the log says why
                log.exception("start-up: loading the %s failed", name)
            else:
                log.info("start-up: %s loaded in %.1f s", name, time.perf_counter() - started)
            finally:
                self._waiting.remove(name)
