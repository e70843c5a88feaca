"""The use-case repository: submissions, revisions, review, search with facets.

Workflow: a submission or an edit adds a revision with status `submitted`; a reviewer
publishes it (the previously published revision becomes `superseded`) or rejects it
with a comment; an edit made before the review replaces the waiting revision (it becomes
`superseded` too, without ever having been published). Nothing is overwritten.

Who reads which revision: a revision that was ever published (`published_at`) is public
history; any other revision is a draft, read only by its submitter and by reviewers and
admins. Every read below applies that one rule (`_readable`), also to the metadata it
returns (`latest_revision`) and to the near-duplicate check. Each write is one database
transaction, so a killed process leaves either all of it or none.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from app.db.models import (
    FacetRow,
    HarvestedRecordRow,
    HarvestSourceRow,
    RevisionRow,
    UseCaseRow,
    utcnow,
)
from app.db.session import Database
from app.errors import Conflict, InvalidRecord, NotFound, PersonalDataFound
from app.schemas.records import UseCase
from app.services import pii
from app.services.changes import record_change
from app.services.auth import ANONYMOUS, Principal
from app.services.corpus import format_validation_error
from app.services.roles import Action, authorize, permits

FACETS = (
    "gsbpm", "gsbpm_phase", "gamso", "stage", "scope", "organisation", "country",
    "openness", "hosting", "task_type", "pattern", "origin", "org_type", "year",
)


@dataclass
class Filters:
    """Facet filters (values OR-ed within a facet, facets AND-ed) and a text query."""

    values: dict[str, list[str]] = field(default_factory=dict)
    q: str | None = None

    def without(self, facet: str) -> "Filters":
        return Filters({k: v for k, v in self.values.items() if k != facet}, self.q)


@dataclass
class Page:
    items: list[dict[str, Any]]
    count: int
    facets: dict[str, dict[str, int]]


def content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def facet_values(record: UseCase, origin: str) -> Iterable[tuple[str, str]]:
    yield "stage", record.lifecycle_stage
    yield "scope", record.scope
    yield "openness", record.model_openness
    yield "hosting", record.hosting
    yield "origin", origin
    yield from (("gsbpm", c) for c in record.gsbpm)
    yield from (("gsbpm_phase", p) for p in record.gsbpm_phases())
    yield from (("gamso", c) for c in record.gamso)
    yield from (("task_type", t) for t in record.task_types)
    yield from (("pattern", p) for p in record.genai_patterns)
    for org in record.organisations:
        yield "organisation", org.acronym or org.name
        yield "country", org.country
        yield "org_type", org.type
        # Not a browser filter: how duplicates from other repositories are looked up.
        yield from (("org_key", n.lower()) for n in (org.name, org.acronym) if n)
    year = record.year_reported or record.year_started
    if year:
        yield "year", year[:4]


def validate_record(data: object) -> UseCase:
    """Schema and vocabulary check, then the personal-data screen; raises 422 errors."""
    try:
        record = UseCase.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecord("the use case is not valid", errors=format_validation_error(exc)) from exc
    findings = pii.scan_record(record.model_dump(mode="json"))
    if findings:
        raise PersonalDataFound(
            "the use case contains personal data; remove it (a public functional mailbox "
            "may go in `contact`)",
            errors=[{**f.public(), "reason": f"{f.entity} found"} for f in findings],
        )
    return record


def _similarity(a: str, b: str, floor: float = 0.0) -> float:
    """difflib's ratio; 0 as soon as its cheap upper bounds fall below `floor` (comparing
    a harvested record with thousands of others stays fast)."""
    matcher = SequenceMatcher(None, a.lower().strip(), b.lower().strip())
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


class UseCaseRepository:
    def __init__(self, db: Database, *, duplicate_threshold: float = 0.85) -> None:
        self.db = db
        self.duplicate_threshold = duplicate_threshold

    # -- writes ---------------------------------------------------------------------------

    def submit(self, data: object, *, by: Principal, origin: str = "submission") -> dict[str, Any]:
        """A new use case, waiting for review."""
        authorize(by, Action.submit)
        record = validate_record(data)
        with self.db.session() as session:
            if session.get(UseCaseRow, record.id) is not None:
                raise Conflict(f"a use case with id {record.id!r} already exists",
                               errors=[{"field": "id", "reason": "already exists", "existing": record.id}])
            self._check_duplicate(session, record, exclude=None, by=by)
            row = UseCaseRow(id=record.id, origin=origin, owner=by.key_id, latest_revision=1,
                             title=record.title, search_text=record.search_text().lower())
            session.add(row)
            session.add(self._revision(record, 1, "submitted", author=by.name))
        return self.get(record.id, by=by)

    def update(self, usecase_id: str, data: object, *, by: Principal, comment: str | None = None
               ) -> dict[str, Any]:
        """A new revision of an existing use case, waiting for review."""
        authorize(by, Action.edit, own=True)  # before validation: 401/403 come first
        record = validate_record(data)
        if record.id != usecase_id:
            raise InvalidRecord("the id in the body must match the URL",
                                errors=[{"field": "id", "reason": f"expected {usecase_id!r}"}])
        with self.db.session() as session:
            row = self._row(session, usecase_id, by)
            authorize(by, Action.edit, own=self._owns(row, by))
            self._refuse_harvested(row)
            self._check_duplicate(session, record, exclude=usecase_id, by=by)
            pending = self._revision_row(session, usecase_id, row.latest_revision)
            if pending.status == "submitted":
                pending.status = "superseded"
            # `updated_at` is public: it moves when the published record changes, not when
            # a draft is added, so it does not tell outsiders that an edit is waiting.
            row.latest_revision += 1
            session.add(self._revision(record, row.latest_revision, "submitted",
                                       author=by.name, comment=comment))
        return self.get(usecase_id, by=by)

    def review(self, usecase_id: str, *, publish: bool, comment: str | None, by: Principal
               ) -> dict[str, Any]:
        """Publish or reject the latest revision."""
        authorize(by, Action.review)
        if not publish and not (comment and comment.strip()):
            raise InvalidRecord("a rejection needs a comment",
                                errors=[{"field": "comment", "reason": "required when rejecting"}])
        with self.db.session() as session:
            row = self._row(session, usecase_id, by)
            revision = self._revision_row(session, usecase_id, row.latest_revision)
            if revision.status != "submitted":
                raise Conflict(f"revision {revision.number} of {usecase_id!r} is already "
                               f"{revision.status}; nothing to review")
            revision.review_comment, revision.reviewer = comment, by.name
            revision.reviewed_at = utcnow()
            if publish:
                self._publish(session, row, revision)
            else:
                revision.status = "rejected"
        return self.get(usecase_id, by=by)

    def delete(self, usecase_id: str, *, by: Principal) -> None:
        """Withdraw a use case: hidden from everyone, its revisions kept for the record."""
        with self.db.session() as session:
            row = self._row(session, usecase_id, by)
            # A submitter may withdraw their own submission only while it is unpublished.
            authorize(by, Action.delete_usecase,
                      own=self._owns(row, by) and row.published_revision is None)
            self._refuse_harvested(row)
            self._withdraw(session, row)

    def store_harvested(self, record: UseCase) -> str:
        """Store a validated harvested record as published: `added`, `updated` (a new
        revision) or `unchanged`. A local record with the same id is never overwritten."""
        with self.db.session() as session:
            row = session.get(UseCaseRow, record.id)
            if row is not None and row.origin != "harvest":
                raise Conflict(f"a local use case already has the id {record.id!r}",
                               errors=[{"field": "id", "reason": "taken by a local record"}])
        return self._sync([record], origin="harvest")[record.id]

    def withdraw_harvested(self, usecase_id: str) -> bool:
        """Withdraw a harvested record (its source withdrew it); False if nothing to do."""
        with self.db.session() as session:
            row = session.get(UseCaseRow, usecase_id)
            if row is None or row.deleted or row.origin != "harvest":
                return False
            self._withdraw(session, row)
            return True

    def find_duplicate(self, record: UseCase, *, source: str) -> str | None:
        """A published record, not harvested from `source`, of an organisation listed under
        the same name or acronym, whose title or summary is nearly the same; or None."""
        names = {n.lower() for o in record.organisations for n in (o.name, o.acronym) if n}
        same_org = select(FacetRow.usecase_id).where(FacetRow.facet == "org_key",
                                                     FacetRow.value.in_(names))
        from_source = select(HarvestedRecordRow.usecase_id).where(
            HarvestedRecordRow.source_name == source, HarvestedRecordRow.duplicate_of.is_(None))
        query = select(UseCaseRow.id, RevisionRow.data).join(
            RevisionRow, (RevisionRow.usecase_id == UseCaseRow.id)
            & (RevisionRow.number == UseCaseRow.published_revision)).where(
            UseCaseRow.id.in_(same_org), UseCaseRow.id.not_in(from_source),
            UseCaseRow.id != record.id).order_by(UseCaseRow.id)
        with self.db.session() as session:
            for usecase_id, data in session.execute(query):
                if self._similarity_to(record, data) >= self.duplicate_threshold:
                    return str(usecase_id)
        return None

    def import_records(self, records: list[UseCase], *, by: Principal) -> dict[str, int]:
        """Store imported inventory records as published (`gaios import`; admins)."""
        authorize(by, Action.import_records)
        return self.sync_curated(records, origin="import")

    def sync_curated(self, records: list[UseCase], *, origin: str = "curated") -> dict[str, int]:
        """Load curated or imported records as published; a changed file adds a revision."""
        outcomes = self._sync(records, origin=origin)
        return {k: sum(1 for o in outcomes.values() if o == k)
                for k in ("added", "updated", "unchanged")}

    def _sync(self, records: list[UseCase], *, origin: str) -> dict[str, str]:
        """Publish these records as they are: each id's outcome, `added`, `updated` (a new
        revision) or `unchanged`, in one transaction."""
        outcomes: dict[str, str] = {}
        ids = [r.id for r in records]
        with self.db.session() as session:
            existing = {r.id: r for r in session.scalars(
                select(UseCaseRow).where(UseCaseRow.id.in_(ids)))}
            hashes = dict(session.execute(
                select(RevisionRow.usecase_id, RevisionRow.content_hash)
                .join(UseCaseRow, (UseCaseRow.id == RevisionRow.usecase_id)
                      & (UseCaseRow.published_revision == RevisionRow.number))
                .where(UseCaseRow.id.in_(ids))
            ).all())
            for record in records:
                data = record.model_dump(mode="json")
                row = existing.get(record.id)
                if row is not None and hashes.get(record.id) == content_hash(data) and not row.deleted:
                    outcomes[record.id] = "unchanged"
                    continue
                if row is None:
                    row = UseCaseRow(id=record.id, origin=origin, owner=None, latest_revision=0,
                                     title=record.title, search_text="")
                    session.add(row)
                    existing[record.id] = row
                    outcomes[record.id] = "added"
                else:
                    outcomes[record.id] = "updated"
                row.deleted = False
                row.latest_revision += 1
                revision = self._revision(record, row.latest_revision, "submitted",
                                          author=f"{origin} file")
                session.add(revision)
                session.flush()
                self._publish(session, row, revision)
        return outcomes

    # -- reads ----------------------------------------------------------------------------

    def get(self, usecase_id: str, *, by: Principal, revision: int | None = None) -> dict[str, Any]:
        """The published record, or for its submitter and reviewers the latest revision;
        or the given revision, if this caller may read it."""
        with self.db.session() as session:
            row = self._row(session, usecase_id, by)
            if revision is None:
                rev = self._newest_readable(session, row, by)
            else:
                rev = self._revision_row(session, usecase_id, revision)
                if not self._readable(row, rev, by):
                    raise NotFound(f"no revision {revision} of use case {usecase_id!r}")
            return {**self._detail(row, rev, by), **self._provenance(session, usecase_id)}

    def revisions(self, usecase_id: str, *, by: Principal) -> list[dict[str, Any]]:
        """The revisions this caller may read, oldest first."""
        with self.db.session() as session:
            row = self._row(session, usecase_id, by)
            return [
                {"number": r.number, "status": r.status, "author": r.author, "comment": r.comment,
                 "review_comment": r.review_comment, "reviewer": r.reviewer,
                 "created_at": r.created_at, "reviewed_at": r.reviewed_at,
                 "published_at": r.published_at, "record": r.data}
                for r in row.revisions if self._readable(row, r, by)
            ]

    def search(self, filters: Filters, *, by: Principal, status: str = "published",
               limit: int = 20, offset: int = 0) -> Page:
        """A page of records matching the filters, with facet counts."""
        with self.db.session() as session:
            base = self._status_query(status, by)
            query = self._filtered(base, filters)
            count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            ids = list(session.scalars(query.order_by(UseCaseRow.title).limit(limit).offset(offset)))
            rows = {r.id: r for r in session.scalars(select(UseCaseRow).where(UseCaseRow.id.in_(ids)))}
            items = [self._detail(rows[i], self._newest_readable(session, rows[i], by), by)
                     for i in ids]
            facets = {f: self._facet_counts(session, base, filters, f) for f in FACETS} \
                if status == "published" else {}
            return Page(items=items, count=count, facets=facets)

    def published(self, usecase_ids: list[str] | None = None) -> list[UseCase]:
        """Every published record (for exports and for indexing), or those among these ids."""
        query = select(RevisionRow.data).join(
            UseCaseRow, (UseCaseRow.id == RevisionRow.usecase_id)
            & (UseCaseRow.published_revision == RevisionRow.number)).order_by(UseCaseRow.id)
        if usecase_ids is not None:
            query = query.where(UseCaseRow.id.in_(usecase_ids))
        with self.db.session() as session:
            return [UseCase.model_validate(d) for d in session.execute(query).scalars()]

    def published_revisions(self, usecase_ids: list[str] | None = None) -> dict[str, str]:
        """The content hash of each published revision, without reading the records: what
        the index compares to skip the records it already holds."""
        query = select(UseCaseRow.id, RevisionRow.content_hash).join(
            RevisionRow, (UseCaseRow.id == RevisionRow.usecase_id)
            & (UseCaseRow.published_revision == RevisionRow.number))
        if usecase_ids is not None:
            query = query.where(UseCaseRow.id.in_(usecase_ids))
        with self.db.session() as session:
            return {usecase_id: digest for usecase_id, digest in session.execute(query)}

    def matching(self, filters: Filters) -> list[UseCase]:
        """Every published record matching the filters (the landscape's figures)."""
        ids = self._filtered(self._status_query("published", ANONYMOUS), filters).subquery()
        query = select(RevisionRow.data).join(
            UseCaseRow, (UseCaseRow.id == RevisionRow.usecase_id)
            & (UseCaseRow.published_revision == RevisionRow.number)).where(
            UseCaseRow.id.in_(select(ids.c.id)))
        with self.db.session() as session:
            return [UseCase.model_validate(d) for d in session.execute(query).scalars()]

    def provenance_labels(self) -> dict[str, str]:
        """For each harvested record, and each record other repositories also report, the
        words a citation adds to its title."""
        with self.db.session() as session:
            rows = session.execute(select(
                HarvestedRecordRow.usecase_id, HarvestedRecordRow.duplicate_of,
                HarvestSourceRow.name, HarvestSourceRow.url).join(
                HarvestSourceRow, HarvestSourceRow.name == HarvestedRecordRow.source_name)
                .order_by(HarvestSourceRow.name)).all()
        labels: dict[str, list[str]] = {}
        for usecase_id, duplicate_of, name, url in rows:
            if duplicate_of is None:
                labels.setdefault(usecase_id, []).insert(0, f"from the {name} repository, {url}")
            else:
                labels.setdefault(duplicate_of, []).append(
                    f"also reported by the {name} repository, {url}")
        return {i: "; ".join(parts) for i, parts in labels.items()}

    # -- helpers --------------------------------------------------------------------------

    def _row(self, session: Session, usecase_id: str, by: Principal) -> UseCaseRow:
        row = session.get(UseCaseRow, usecase_id)
        if row is None or row.deleted:
            raise NotFound(f"no use case with id {usecase_id!r}")
        if row.published_revision is None and not self._may_see_pending(row, by):
            raise NotFound(f"no use case with id {usecase_id!r}")
        return row

    @staticmethod
    def _refuse_harvested(row: UseCaseRow) -> None:
        if row.origin == "harvest":
            raise Conflict(f"{row.id!r} is harvested from another repository and read-only "
                           "here; it changes when its source changes it")

    @staticmethod
    def _withdraw(session: Session, row: UseCaseRow) -> None:
        if row.published_revision is not None:
            record_change(session, row.id, "withdrawn", None)
        row.deleted = True
        row.published_revision = None
        row.updated_at = utcnow()
        session.execute(delete(FacetRow).where(FacetRow.usecase_id == row.id))

    @staticmethod
    def _owns(row: UseCaseRow, by: Principal) -> bool:
        return by.key_id is not None and row.owner == by.key_id

    def _may_see_pending(self, row: UseCaseRow, by: Principal) -> bool:
        if permits(by, Action.see_others_unpublished):
            return True
        return self._owns(row, by) and permits(by, Action.see_own_unpublished)

    def _readable(self, row: UseCaseRow, rev: RevisionRow, by: Principal) -> bool:
        """The one rule: published history for every reader, drafts for those who may."""
        return rev.published_at is not None or self._may_see_pending(row, by)

    def _visible_revision(self, row: UseCaseRow, by: Principal) -> int | None:
        """The newest revision this caller may read (None: none, a draft of others)."""
        return row.latest_revision if self._may_see_pending(row, by) else row.published_revision

    def _newest_readable(self, session: Session, row: UseCaseRow, by: Principal) -> RevisionRow:
        number = self._visible_revision(row, by)
        if number is None:  # `_row` and the list queries leave out others' unpublished records
            raise NotFound(f"no use case with id {row.id!r}")
        return self._revision_row(session, row.id, number)

    @staticmethod
    def _revision_row(session: Session, usecase_id: str, number: int) -> RevisionRow:
        rev = session.scalar(select(RevisionRow).where(
            RevisionRow.usecase_id == usecase_id, RevisionRow.number == number))
        if rev is None:
            raise NotFound(f"no revision {number} of use case {usecase_id!r}")
        return rev

    @staticmethod
    def _revision(record: UseCase, number: int, status: str, *, author: str,
                  comment: str | None = None) -> RevisionRow:
        data = record.model_dump(mode="json")
        return RevisionRow(usecase_id=record.id, number=number, status=status, data=data,
                           content_hash=content_hash(data), author=author, comment=comment)

    @staticmethod
    def _publish(session: Session, row: UseCaseRow, revision: RevisionRow) -> None:
        record_change(session, row.id, "published" if row.published_revision is None
                      else "revised", revision.number)
        if row.published_revision is not None and row.published_revision != revision.number:
            old = session.scalar(select(RevisionRow).where(
                RevisionRow.usecase_id == row.id, RevisionRow.number == row.published_revision))
            if old is not None:
                old.status = "superseded"
        revision.status = "published"
        revision.reviewed_at = revision.reviewed_at or utcnow()
        revision.published_at = revision.published_at or revision.reviewed_at
        record = UseCase.model_validate(revision.data)
        row.published_revision = revision.number
        row.title = record.title
        row.search_text = record.search_text().lower()
        row.updated_at = datetime.now(UTC)
        # Facet rows are written as rows, not tracked objects: an import publishes thousands
        # of records in one session, where the session's bookkeeping of 14 facet objects a
        # record, and the matching of every tracked one against each delete, cost more than
        # the SQL itself (docs/benchmarks.md, "Settled on the idle machine").
        session.execute(delete(FacetRow).where(FacetRow.usecase_id == row.id),
                        execution_options={"synchronize_session": False})
        facets = sorted(set(facet_values(record, row.origin)))
        if facets:
            session.execute(insert(FacetRow), [{"usecase_id": row.id, "facet": f, "value": v}
                                               for f, v in facets])

    def _similarity_to(self, record: UseCase, other: dict[str, Any]) -> float:
        return max(_similarity(record.title, str(other["title"]), self.duplicate_threshold),
                   _similarity(record.summary, str(other["summary"]), self.duplicate_threshold))

    def _check_duplicate(self, session: Session, record: UseCase, *, exclude: str | None,
                         by: Principal) -> None:
        """409 when the same organisation already has a very similar title or summary.
        Only what the caller may read is compared: naming someone else's draft, or its
        similarity score, would reveal it."""
        orgs = [o.name.lower() for o in record.organisations]
        query = select(UseCaseRow).where(
            UseCaseRow.deleted.is_(False),
            or_(*[UseCaseRow.search_text.contains(o, autoescape=True) for o in orgs]),
        )
        for row in session.scalars(query):
            number = self._visible_revision(row, by)
            if row.id == exclude or number is None:
                continue
            other = self._revision_row(session, row.id, number).data
            score = self._similarity_to(record, other)
            if score >= self.duplicate_threshold:
                raise Conflict(
                    f"this looks like a near-duplicate of the existing use case {row.id!r} "
                    f"(similarity {score:.2f}); edit that record instead",
                    errors=[{"field": "title", "reason": "near-duplicate", "existing": row.id,
                             "url": f"/api/v1/usecases/{row.id}", "similarity": round(score, 2)}],
                )

    def _status_query(self, status: str, by: Principal) -> Select[tuple[str]]:
        query = select(UseCaseRow.id).where(UseCaseRow.deleted.is_(False))
        if status == "published":
            return query.where(UseCaseRow.published_revision.is_not(None))
        # Pending work: the latest revision is not the published one.
        authorize(by, Action.see_own_unpublished)
        query = query.join(RevisionRow, (RevisionRow.usecase_id == UseCaseRow.id)
                           & (RevisionRow.number == UseCaseRow.latest_revision)
                           ).where(RevisionRow.status == status)
        if not permits(by, Action.see_others_unpublished):
            query = query.where(UseCaseRow.owner == by.key_id)
        return query

    @staticmethod
    def _filtered(query: Select[tuple[str]], filters: Filters) -> Select[tuple[str]]:
        for facet, values in filters.values.items():
            if values:
                query = query.where(UseCaseRow.id.in_(
                    select(FacetRow.usecase_id).where(FacetRow.facet == facet, FacetRow.value.in_(values))))
        for word in (filters.q or "").lower().split():
            # autoescape: `%` and `_` in the query are letters, not LIKE wildcards
            query = query.where(UseCaseRow.search_text.contains(word, autoescape=True))
        return query

    def _facet_counts(self, session: Session, base: Select[tuple[str]], filters: Filters,
                      facet: str) -> dict[str, int]:
        # Counts for one facet ignore that facet's own filter, so a user sees the
        # alternatives they could switch to (disjunctive faceting).
        ids = self._filtered(base, filters.without(facet)).subquery()
        rows = session.execute(
            select(FacetRow.value, func.count()).where(
                FacetRow.facet == facet, FacetRow.usecase_id.in_(select(ids.c.id)))
            .group_by(FacetRow.value).order_by(func.count().desc(), FacetRow.value)
        ).all()
        return {value: count for value, count in rows}

    @staticmethod
    def _provenance(session: Session, usecase_id: str) -> dict[str, Any]:
        """Where a harvested record comes from, and which other repositories report the
        same use case."""
        def describe(h: HarvestedRecordRow, source_url: str) -> dict[str, Any]:
            return {"source": h.source_name, "source_url": source_url, "remote_id": h.remote_id,
                    "remote_url": h.remote_url, "remote_revision": h.remote_revision,
                    "licence": h.licence, "harvested_at": h.harvested_at}

        rows = session.execute(select(HarvestedRecordRow, HarvestSourceRow.url).join(
            HarvestSourceRow, HarvestSourceRow.name == HarvestedRecordRow.source_name).where(
            or_(HarvestedRecordRow.usecase_id == usecase_id,
                HarvestedRecordRow.duplicate_of == usecase_id))).all()
        own = [describe(h, url) for h, url in rows if h.usecase_id == usecase_id
               and h.duplicate_of is None]
        return {"provenance": own[0] if own else None,
                "also_reported_by": [describe(h, url) for h, url in rows
                                     if h.duplicate_of == usecase_id]}

    def _detail(self, row: UseCaseRow, rev: RevisionRow, by: Principal) -> dict[str, Any]:
        return {
            "record": rev.data,
            "status": rev.status,
            "revision": rev.number,
            "latest_revision": self._visible_revision(row, by),
            "published_revision": row.published_revision,
            "origin": row.origin,
            "review_comment": rev.review_comment,
            "updated_at": row.updated_at,
        }
