"""Structure-aware chunking: each section (heading, record field group, PDF page) is split
on its own, into pieces of about `size` characters with a small overlap, and no piece
is longer than the embedding model's input limit. Chunk ids are `doc_id:chunk_no`, so a
re-ingested document updates in place."""

from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.loaders import LoadedDocument, Metadata

SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkSettings:
    size: int = 1000
    overlap: int = 120
    max_tokens: int = 256

    def key(self) -> str:
        return f"chars{self.size}-overlap{self.overlap}-tokens{self.max_tokens}-v1"


@dataclass
class Chunk:
    id: str
    text: str  # the passage as shown to users and the model
    embed_text: str  # the passage prefixed with its title and section, for embedding
    metadata: Metadata


def chunk_document(doc: LoadedDocument, settings: ChunkSettings,
                   count_tokens: Callable[[str], int]) -> list[Chunk]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.size, chunk_overlap=settings.overlap, separators=SEPARATORS)
    chunks: list[Chunk] = []
    for section in doc.sections:
        prefix = f"{doc.title} | {section.heading}\n"
        for piece in splitter.split_text(section.text):
            for text in _fit(piece, prefix, settings, count_tokens):
                number = len(chunks)
                metadata: Metadata = {
                    "doc_id": doc.doc_id, "chunk": number, "title": doc.title,
                    "section": section.heading, "doc_type": doc.doc_type, "source": doc.source,
                    "confidential": doc.confidential, **doc.facets,
                }
                if section.page is not None:
                    metadata["page"] = section.page
                if doc.url:
                    metadata["url"] = doc.url
                chunks.append(Chunk(f"{doc.doc_id}:{number}", text, prefix + text, metadata))
    return chunks


def _fit(piece: str, prefix: str, settings: ChunkSettings,
         count_tokens: Callable[[str], int]) -> list[str]:
    """Split a piece again, smaller, until prefix + piece fits the model's input."""
    if count_tokens(prefix + piece) <= settings.max_tokens or len(piece) < 80:
        return [piece]
    half = RecursiveCharacterTextSplitter(chunk_size=max(80, len(piece) // 2),
                                          chunk_overlap=min(settings.overlap, len(piece) // 8),
                                          separators=SEPARATORS)
    return [p for part in half.split_text(piece) for p in _fit(part, prefix, settings, count_tokens)]
