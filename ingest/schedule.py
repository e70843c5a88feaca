"""Harvesting on a schedule inside `gaios serve` (`GAIOS_HARVEST__INTERVAL_MINUTES`).

A daemon thread, not an asyncio task: a run reads sources, validates and embeds, and none
of that may hold the event loop. A failing run is logged and the next one comes on time.
"""

import logging
import threading

from app.core.container import Container
from app.services.auth import Principal, Role
from ingest.cli import harvest_and_index

log = logging.getLogger("gaios.harvest")
HARVESTER = Principal(key_id="harvester", name="scheduled harvest", role=Role.admin)


class HarvestSchedule:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.interval = container.settings.harvest.interval_minutes * 60
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gaios-harvest", daemon=True)

    def start(self) -> "HarvestSchedule":
        if self.interval > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                for report in harvest_and_index(self.container, None, by=HARVESTER):
                    log.info("harvest %s: %s", report.source, report.as_dict())
            except Exception:  # a broken run must not end the schedule
                log.exception("scheduled harvest failed")
