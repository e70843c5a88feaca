"""Request and response models of the harvesting API (`/api/v1/harvest`, admins)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class HarvestSourceCreate(BaseModel):
    name: str = Field(max_length=40, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                      examples=["statistics-x"],
                      description="Short name; harvested records get the id `<name>-<their id>`.")
    url: str = Field(max_length=1000, examples=["https://gaios.stat-x.example"],
                     description="A GAIOS base URL, or the URL of a DCAT catalogue in JSON-LD.")
    kind: Literal["gaios", "dcat"] | None = Field(
        default=None, description="Omitted: `dcat` for a URL ending in .json/.jsonld, else `gaios`.")


class HeldRecord(BaseModel):
    remote_id: str
    reason: str
    details: list[dict[str, Any]]
    held_at: datetime


class HarvestSourcePublic(BaseModel):
    name: str
    url: str
    kind: str
    created_at: datetime
    last_run_at: datetime | None
    last_report: dict[str, Any] | None
    records: int = Field(description="Records harvested from it (near-duplicates included).")
    held: list[HeldRecord] = Field(description="Records it offered that were held back.")


class HarvestRunRequest(BaseModel):
    source: str | None = Field(default=None, max_length=40,
                               description="One source's name; omitted: every source.")


class HarvestReportPublic(BaseModel):
    source: str
    status: Literal["ok", "unchanged", "partial", "failed"]
    error: str | None
    added: list[str]
    updated: list[str]
    withdrawn: list[str]
    unchanged: int
    duplicates: list[dict[str, str]]
    held: list[dict[str, Any]]
    seconds: float
