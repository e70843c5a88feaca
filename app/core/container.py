"""The long-lived objects of one GAIOS process, built once from the settings and shared
by the API (through `app.state`) and the CLI commands."""

from dataclasses import dataclass

from app.core.config import Settings
from app.db.session import Database, upgrade
from app.services.auth import KeyStore
from app.services.corpus import CorpusDocument, load_documents, load_usecases
from app.services.usecases import UseCaseRepository


@dataclass
class Container:
    settings: Settings
    db: Database
    keys: KeyStore
    usecases: UseCaseRepository

    @classmethod
    def build(cls, settings: Settings) -> "Container":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url())
        upgrade(db.engine)
        return cls(
            settings=settings,
            db=db,
            keys=KeyStore(db, bootstrap_admin_key=settings.api_keys_admin),
            usecases=UseCaseRepository(db, duplicate_threshold=settings.duplicate_threshold),
        )

    def load_curated(self) -> dict[str, int]:
        """Publish the curated records of the corpus folder (unchanged ones are skipped)."""
        return self.usecases.sync_curated(load_usecases(self.settings.corpus_dir))

    def curated_documents(self) -> list[CorpusDocument]:
        return load_documents(self.settings.corpus_dir)
