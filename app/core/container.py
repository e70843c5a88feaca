"""The long-lived objects of one GAIOS process, built once from the settings and shared
by the API (through `app.state`) and the CLI commands. Heavy parts (the embedding
model, the vector store, the language model) are built on first use, by the warm-up
thread of `gaios serve` (app/core/warmup.py) or by the first request that needs them."""

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from app.components.embedding import Embedder
from app.components.keyword import KeywordIndex
from app.components.llm import LLM, build_llm
from app.components.vectorstore import VectorStore
from app.core.config import Settings
from app.db.session import Database, upgrade
from app.prompts import PromptTemplate, load_prompts
from app.services.auth import KeyStore
from app.services.changes import ChangeFeed
from app.services.chat import ChatService, Prompts
from app.services.conversations import ConversationService
from app.services.feedback import FeedbackService
from app.services.corpus import CorpusDocument, load_documents, load_usecases
from app.services.harvest import HarvestService
from app.services.retrieval import Retriever
from app.services.usecases import UseCaseRepository

T = TypeVar("T")


class built_once(cached_property[T], Generic[T]):
    """A cached property built by one thread at a time: the warm-up thread and a request
    may ask for the same part at once (Python 3.12 dropped cached_property's lock), and
    two embedding models or Chroma clients for one folder must not be built."""

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None or self.attrname in instance.__dict__:
            return super().__get__(instance, owner)
        with instance.build_lock:
            return super().__get__(instance, owner)


@dataclass
class Container:
    settings: Settings
    db: Database
    keys: KeyStore
    usecases: UseCaseRepository
    # Reentrant: building the chat service builds the retriever, which builds the embedder.
    build_lock: threading.RLock = field(default_factory=threading.RLock, repr=False,
                                        compare=False)

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

    @cached_property
    def changes(self) -> ChangeFeed:
        return ChangeFeed(self.db)

    @cached_property
    def conversations(self) -> ConversationService:
        return ConversationService(self.db)

    @cached_property
    def feedback(self) -> FeedbackService:
        return FeedbackService(self.db)

    @cached_property
    def harvest(self) -> HarvestService:
        return HarvestService(self.db, self.usecases, self.settings.harvest)

    def curated_documents(self) -> list[CorpusDocument]:
        return load_documents(self.settings.corpus_dir)

    @built_once
    def embedder(self) -> Embedder:
        e = self.settings.embedding
        return Embedder(e.model, backend=e.backend, cache_dir=self.settings.data_dir / "models",
                        batch_size=e.batch_size, batch_tokens=e.batch_tokens,
                        max_tokens=e.max_tokens)

    @built_once
    def store(self) -> VectorStore:
        return VectorStore(collection=self.embedder.collection_name,
                           path=self.settings.resolved_chroma_path(), url=self.settings.chroma_url)

    @built_once
    def keyword(self) -> KeywordIndex:
        return KeywordIndex(self.settings.data_dir / "bm25" / self.embedder.collection_name)

    @built_once
    def retriever(self) -> Retriever:
        return Retriever(db=self.db, embedder=self.embedder, store=self.store,
                         keyword=self.keyword, settings=self.settings.retrieval)

    @cached_property
    def prompts(self) -> dict[str, PromptTemplate]:
        return load_prompts(self.settings.prompts_dir)

    @built_once
    def llm(self) -> LLM | None:
        return build_llm(self.settings.llm)

    @built_once
    def chat(self) -> ChatService:
        return ChatService(settings=self.settings, db=self.db, retriever=self.retriever,
                           llm=self.llm, prompts=Prompts.from_dict(self.prompts))
