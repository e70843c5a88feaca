"""BM25 keyword index (bm25s), rebuilt from the vector store's chunks so the two indexes
always hold the same chunk ids. Persisted beside the vectors; loaded lazily."""

import fcntl
import json
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import Stemmer

if TYPE_CHECKING:
    from app.components.vectorstore import VectorStore

TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
# Short English stop list: BM25 weights already discount common words; these are the
# ones that otherwise dominate short questions.
STOP = frozenset(
    "a an and are as at be by can do does for from how in is it of on or that the their this "
    "to was what when where which who why with".split()
)


# Snowball stemming, so that "occupations" finds "occupation" and "coding" finds "codes".
# Part of how the index was built: a change of tokenizer makes the index stale.
TOKENIZER = "snowball-english-1"
_STEMMER = Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return _STEMMER.stemWords([t for t in TOKEN.findall(folded) if t not in STOP])


class KeywordIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._retriever: bm25s.BM25 | None = None
        self._ids: list[str] = []
        self._loaded_stamp: float | None = None

    @property
    def _ids_file(self) -> Path:
        return self.folder / "ids.json"

    @property
    def _stale_file(self) -> Path:
        return self.folder.with_name(self.folder.name + ".stale")

    def mark_stale(self) -> None:
        """Record, before the vector store changes, that this index must be rebuilt: the
        mark is a file, so it outlives a process killed before its rebuild."""
        self._stale_file.parent.mkdir(parents=True, exist_ok=True)
        self._stale_file.touch()

    @property
    def _tokenizer_file(self) -> Path:
        return self.folder / "tokenizer.txt"

    @property
    def stale(self) -> bool:
        """Marked stale, or built by another version of the tokenizer."""
        if self._stale_file.exists():
            return True
        built_with = self._tokenizer_file.read_text() if self._tokenizer_file.exists() else None
        return self._ids_file.exists() and built_with != TOKENIZER

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the lock of the index's parent folder: an advisory lock on the open folder,
        so builds in other threads (concurrent publishes) and other processes wait their
        turn instead of sharing one temporary folder; released by the kernel if killed."""
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def build(self, ids: list[str], texts: list[str]) -> None:
        """Replace the index with these chunks (written to a new folder, then swapped),
        one build at a time."""
        with self._exclusive():
            self._build(ids, texts)

    def _build(self, ids: list[str], texts: list[str]) -> None:
        tmp = self.folder.with_name(self.folder.name + ".tmp")
        old = self.folder.with_name(self.folder.name + ".old")
        for leftover in (tmp, old):  # from a build killed half-way
            if leftover.exists():
                shutil.rmtree(leftover)
        tmp.mkdir(parents=True)
        retriever = bm25s.BM25()
        if ids:
            retriever.index([tokenize(t) for t in texts], show_progress=False)
            retriever.save(str(tmp))
        (tmp / "tokenizer.txt").write_text(TOKENIZER)
        (tmp / "ids.json").write_text(json.dumps(ids))
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        if old.exists():
            shutil.rmtree(old)
        self._stale_file.unlink(missing_ok=True)
        self._retriever, self._ids = (retriever if ids else None), ids
        self._loaded_stamp = self._ids_file.stat().st_mtime

    def rebuild_from(self, store: "VectorStore") -> None:
        """Rebuild from every chunk of the vector store (title and section count as text)."""
        chunks = store.all_chunks()
        self.build([c[0] for c in chunks],
                   [f"{c[2].get('title', '')} {c[2].get('section', '')} {c[1]}" for c in chunks])

    def _load(self) -> None:
        if not self._ids_file.exists():
            self._retriever, self._ids = None, []
            return
        stamp = self._ids_file.stat().st_mtime
        if stamp == self._loaded_stamp:
            return
        self._ids = json.loads(self._ids_file.read_text())
        self._retriever = bm25s.BM25.load(str(self.folder)) if self._ids else None
        self._loaded_stamp = stamp

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best k chunks; reloads if another process rebuilt it."""
        self._load()
        tokens = tokenize(query)
        if self._retriever is None or not tokens:
            return []
        k = min(k, len(self._ids))
        docs, scores = self._retriever.retrieve([tokens], k=k, show_progress=False)
        return [(self._ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True)
                if s > 0]

    def __len__(self) -> int:
        self._load()
        return len(self._ids)

