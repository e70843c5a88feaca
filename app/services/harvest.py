"""Harvesting other organisations' repositories into this one.

A source is another GAIOS (its change feed, `/api/v1/changes`, read from the last cursor
on) or any DCAT catalogue in JSON-LD (read whole, skipped while its ETag is unchanged).
Each record a source offers goes through the same schema check and personal-data screen
as a local submission:

- it fails: it is held back with the reason (`harvest_held`), and the version harvested
  before, if any, stays as it was;
- it is a near-duplicate of a record already here from elsewhere (same organisation,
  similar title or summary): it is not stored twice; the record here lists the source
  under "reported also by";
- otherwise it is stored as a published, read-only record `<source>-<remote id>` with its
  provenance (source, URL, remote id and revision, licence, harvest time), a new revision
  when it changed, withdrawn (history kept) when the source withdrew it.

One failing record or source never stops the others: every outcome goes in the report.
Limits: response size, records per run and run time (settings), http(s) only, and only
the URL the admin added (nothing found inside a record is ever fetched).
"""

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.components.fetch import JsonFetcher, SourceError, check_url
from app.core.config import HarvestSettings
from app.db.models import HarvestedRecordRow, HarvestHeldRow, HarvestSourceRow, UseCaseRow, utcnow
from app.db.session import Database
from app.errors import AppError, Conflict, InvalidRecord, NotFound
from app.services.auth import Principal
from app.services.dcat import CatalogueError, Offered, read_catalogue
from app.services.roles import Action, authorize
from app.services.usecases import UseCaseRepository, validate_record

SOURCE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FEED_PAGE = 500


@dataclass
class HarvestReport:
    source: str
    status: str = "ok"  # ok | unchanged | failed | partial
    error: str | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[dict[str, str]] = field(default_factory=list)
    held: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def changed_ids(self) -> list[str]:
        """Records to index again: changed ones, and those newly reported also here."""
        return list(dict.fromkeys([*self.added, *self.updated, *self.withdrawn,
                                   *(d["reported_also_as"] for d in self.duplicates)]))

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def local_id(source: str, remote_id: str) -> str:
    """`<source>-<remote id>` as a record id (kebab case, at most 80 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", remote_id.lower()).strip("-") or "record"
    candidate = f"{source}-{slug}"
    if len(candidate) <= 80:
        return candidate
    digest = hashlib.sha256(remote_id.encode()).hexdigest()[:10]
    return f"{candidate[:69].rstrip('-')}-{digest}"


class HarvestService:
    def __init__(self, db: Database, usecases: UseCaseRepository, settings: HarvestSettings,
                 fetcher: Callable[[], JsonFetcher] | None = None) -> None:
        self.db, self.usecases, self.settings = db, usecases, settings
        self._fetcher = fetcher or (lambda: JsonFetcher(
            timeout=settings.timeout_seconds, max_bytes=settings.max_response_bytes,
            max_redirects=settings.max_redirects))

    # -- sources ---------------------------------------------------------------------------

    def add_source(self, name: str, url: str, *, kind: str | None, by: Principal
                   ) -> dict[str, Any]:
        authorize(by, Action.harvest)
        if not SOURCE_NAME.match(name) or len(name) > 40:
            raise InvalidRecord("a source name is lowercase words joined by hyphens, "
                                "at most 40 characters",
                                errors=[{"field": "name", "reason": "not a slug"}])
        try:
            check_url(url)
        except ValueError as exc:
            raise InvalidRecord(str(exc), errors=[{"field": "url", "reason": str(exc)}]) from exc
        kind = kind or ("dcat" if url.rstrip("/").endswith(("jsonld", "json")) else "gaios")
        with self.db.session() as session:
            if session.get(HarvestSourceRow, name) is not None:
                raise Conflict(f"a harvest source named {name!r} already exists",
                               errors=[{"field": "name", "reason": "already exists"}])
            session.add(HarvestSourceRow(name=name, url=url.rstrip("/"), kind=kind))
        return self.source(name, by=by)

    def remove_source(self, name: str, *, by: Principal) -> list[str]:
        """Forget a source and withdraw what it brought; returns the withdrawn ids."""
        authorize(by, Action.harvest)
        with self.db.session() as session:
            row = self._source_row(session, name)
            ids = list(session.scalars(select(HarvestedRecordRow.usecase_id).where(
                HarvestedRecordRow.source_name == name, HarvestedRecordRow.duplicate_of.is_(None))))
            session.delete(row)
            for held in session.scalars(select(HarvestHeldRow).where(
                    HarvestHeldRow.source_name == name)):
                session.delete(held)
        withdrawn = [i for i in ids if self.usecases.withdraw_harvested(i)]
        with self.db.session() as session:
            for record in session.scalars(select(HarvestedRecordRow).where(
                    HarvestedRecordRow.source_name == name, HarvestedRecordRow.duplicate_of
                    .is_not(None))):
                session.delete(record)
        return withdrawn

    def sources(self, *, by: Principal) -> list[dict[str, Any]]:
        authorize(by, Action.harvest)
        with self.db.session() as session:
            return [self._public(session, row) for row in
                    session.scalars(select(HarvestSourceRow).order_by(HarvestSourceRow.name))]

    def source(self, name: str, *, by: Principal) -> dict[str, Any]:
        authorize(by, Action.harvest)
        with self.db.session() as session:
            return self._public(session, self._source_row(session, name))

    # -- runs ------------------------------------------------------------------------------

    def run(self, name: str | None = None, *, by: Principal) -> list[HarvestReport]:
        """Harvest one source, or every source one after the other."""
        authorize(by, Action.harvest)
        with self.db.session() as session:
            names = [name] if name else list(session.scalars(
                select(HarvestSourceRow.name).order_by(HarvestSourceRow.name)))
            if name:
                self._source_row(session, name)
        return [self._run_one(n) for n in names]

    def _run_one(self, name: str) -> HarvestReport:
        report, started = HarvestReport(source=name), time.monotonic()
        with self.db.session() as session:
            source = self._source_row(session, name)
            url, kind, cursor, etag = source.url, source.kind, source.cursor, source.etag
        fetcher = self._fetcher()
        try:
            if kind == "gaios":
                cursor = self._from_feed(fetcher, name, url, cursor, report, started)
            else:
                etag = self._from_catalogue(fetcher, name, url, etag, report)
        except (SourceError, CatalogueError) as exc:
            report.status, report.error = "failed", str(exc)
        finally:
            fetcher.close()
        report.seconds = round(time.monotonic() - started, 3)
        if report.status == "ok" and report.held:
            report.status = "partial"
        with self.db.session() as session:
            source = self._source_row(session, name)
            source.cursor, source.etag = cursor, etag
            source.last_run_at, source.last_report = utcnow(), report.as_dict()
        return report

    def _from_feed(self, fetcher: JsonFetcher, name: str, url: str, cursor: str | None,
                   report: HarvestReport, started: float) -> str | None:
        taken = 0
        for page in self._feed_pages(fetcher, url, cursor):
            for change in page["data"]:
                offered = Offered(remote_id=str(change.get("id")),
                                  remote_url=f"{url}/api/v1/usecases/{change.get('id')}",
                                  data=change.get("record") if change.get("kind") != "withdrawn"
                                  else None, revision=change.get("revision"))
                if offered.data is not None:
                    offered.licence = str((offered.data.get("record_meta") or {})
                                          .get("licence") or "") or None
                self._apply(name, offered, report)
                cursor, taken = str(change.get("cursor")), taken + 1
            if taken >= self.settings.max_records or \
                    time.monotonic() - started > self.settings.max_seconds:
                report.status, report.error = "partial", "stopped at the record or time " \
                    "limit; the next run goes on from here"
                break
        return cursor

    @staticmethod
    def _feed_pages(fetcher: JsonFetcher, url: str, cursor: str | None
                    ) -> Iterator[dict[str, Any]]:
        while True:
            params: dict[str, Any] = {"limit": FEED_PAGE, **({"since": cursor} if cursor else {})}
            page = fetcher.get(f"{url}/api/v1/changes", params=params).data
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise SourceError(f"{url}/api/v1/changes did not answer a GAIOS change feed")
            yield page
            if not page.get("has_more"):
                return
            cursor = str(page.get("next_cursor"))

    def _from_catalogue(self, fetcher: JsonFetcher, name: str, url: str, etag: str | None,
                        report: HarvestReport) -> str | None:
        fetched = fetcher.get(url, etag=etag)
        if fetched.status == 304:
            report.status = "unchanged"
            return etag
        offered = read_catalogue(fetched.data, catalogue_url=url)[: self.settings.max_records]
        for item in offered:
            self._apply(name, item, report)
        seen = {local_id(name, o.remote_id) for o in offered}
        for gone in sorted(self._harvested_ids(name) - seen):  # a catalogue lists all it has
            if self.usecases.withdraw_harvested(gone):
                report.withdrawn.append(gone)
        return fetched.etag

    # -- one record ------------------------------------------------------------------------

    def _apply(self, name: str, offered: Offered, report: HarvestReport) -> None:
        """Withdraw, hold back, link as a duplicate, or store one offered record."""
        record_id = local_id(name, offered.remote_id)
        if offered.data is None:
            if self.usecases.withdraw_harvested(record_id):
                report.withdrawn.append(record_id)
            return
        try:
            record = validate_record({**offered.data, "id": record_id, "related": []})
            duplicate = self.usecases.find_duplicate(record, source=name)
            if duplicate is None:
                outcome = self.usecases.store_harvested(record)
        except AppError as exc:
            self._hold(name, offered, exc, report)
            return
        self._provenance(name, record_id, offered, duplicate_of=duplicate)
        if duplicate is not None:
            report.duplicates.append({"id": record_id, "reported_also_as": duplicate})
        elif outcome == "unchanged":
            report.unchanged += 1
        else:
            getattr(report, outcome).append(record_id)

    def _hold(self, name: str, offered: Offered, exc: AppError, report: HarvestReport) -> None:
        details = [{k: val for k, val in e.items() if k != "sample"} for e in exc.errors]
        with self.db.session() as session:
            held = session.scalar(select(HarvestHeldRow).where(
                HarvestHeldRow.source_name == name, HarvestHeldRow.remote_id == offered.remote_id))
            if held is None:
                held = HarvestHeldRow(source_name=name, remote_id=offered.remote_id)
                session.add(held)
            held.reason, held.details, held.held_at = exc.message, details, utcnow()
        report.held.append({"remote_id": offered.remote_id, "reason": exc.message,
                            "details": details})

    def _provenance(self, name: str, record_id: str, offered: Offered, *,
                    duplicate_of: str | None) -> None:
        with self.db.session() as session:
            row = session.get(HarvestedRecordRow, record_id) or HarvestedRecordRow(
                usecase_id=record_id, source_name=name, remote_id=offered.remote_id)
            row.remote_url, row.remote_revision = offered.remote_url, offered.revision
            row.licence, row.harvested_at, row.duplicate_of = offered.licence, utcnow(), duplicate_of
            session.add(row)
            for held in session.scalars(select(HarvestHeldRow).where(
                    HarvestHeldRow.source_name == name, HarvestHeldRow.remote_id == offered.remote_id)):
                session.delete(held)

    # -- helpers ---------------------------------------------------------------------------

    def _harvested_ids(self, name: str) -> set[str]:
        with self.db.session() as session:
            return set(session.scalars(
                select(HarvestedRecordRow.usecase_id).join(
                    UseCaseRow, UseCaseRow.id == HarvestedRecordRow.usecase_id)
                .where(HarvestedRecordRow.source_name == name, UseCaseRow.deleted.is_(False))))

    @staticmethod
    def _source_row(session: Session, name: str) -> HarvestSourceRow:
        row = session.get(HarvestSourceRow, name)
        if row is None:
            raise NotFound(f"no harvest source named {name!r}")
        return row

    @staticmethod
    def _public(session: Session, row: HarvestSourceRow) -> dict[str, Any]:
        held = session.scalars(select(HarvestHeldRow).where(HarvestHeldRow.source_name == row.name)
                               .order_by(HarvestHeldRow.remote_id))
        count = len(list(session.scalars(select(HarvestedRecordRow.usecase_id).where(
            HarvestedRecordRow.source_name == row.name))))
        return {"name": row.name, "url": row.url, "kind": row.kind, "created_at": row.created_at,
                "last_run_at": row.last_run_at, "last_report": row.last_report,
                "records": count,
                "held": [{"remote_id": h.remote_id, "reason": h.reason, "details": h.details,
                          "held_at": h.held_at} for h in held]}
