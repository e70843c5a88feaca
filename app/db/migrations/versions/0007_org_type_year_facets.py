"""facets for organisation type and year (landscape, browser filters) and organisation
names and acronyms (looking up duplicates among harvested records)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The published revisions' records already hold both; their facet rows are added here.
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT r.usecase_id, r.data FROM usecase_revisions r JOIN usecases u "
        "ON u.id = r.usecase_id AND u.published_revision = r.number")).all()
    facets = sa.table("usecase_facets", sa.column("usecase_id", sa.String),
                      sa.column("facet", sa.String), sa.column("value", sa.String))
    new = []
    for usecase_id, data in rows:
        record = data if isinstance(data, dict) else json.loads(data)
        orgs = record.get("organisations", [])
        types = {o.get("type") for o in orgs if o.get("type")}
        new += [{"usecase_id": usecase_id, "facet": "org_type", "value": t} for t in types]
        keys = {str(o.get(k)).lower() for o in orgs for k in ("name", "acronym") if o.get(k)}
        new += [{"usecase_id": usecase_id, "facet": "org_key", "value": k} for k in keys]
        year = record.get("year_reported") or record.get("year_started")
        if year:
            new.append({"usecase_id": usecase_id, "facet": "year", "value": str(year)[:4]})
    if new:
        op.bulk_insert(facets, new)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM usecase_facets WHERE facet IN ('org_type', 'year', "
                       "'org_key')"))
