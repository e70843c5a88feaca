"""Retrieval only: the chunks a question would be answered from, with scores."""

from typing import Any

from fastapi import APIRouter

from app.api.deps import ContainerDep, ReaderDep
from app.schemas.api import SearchRequest, SearchResponse
from app.services.roles import Action, permits

router = APIRouter(tags=["search"])


def hit_public(hit: Any) -> dict[str, Any]:
    meta = hit.metadata
    return {
        "id": hit.id, "doc_id": hit.doc_id, "title": meta.get("title", ""),
        "section": meta.get("section"), "page": meta.get("page"), "url": meta.get("url"),
        "doc_type": meta.get("doc_type", ""), "text": hit.text, "score": hit.score,
        "similarity": hit.similarity, "dense_rank": hit.dense_rank,
        "keyword_rank": hit.keyword_rank, "metadata": meta,
    }


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, container: ContainerDep, principal: ReaderDep) -> dict[str, Any]:
    """Hybrid (dense + BM25) retrieval with filters; evaluators test retrieval with it."""
    confidential = permits(principal, Action.see_confidential)
    result = container.retriever.search(body.query, k=body.k, filters=body.filters,
                                        allow_confidential=confidential)
    return {"data": [hit_public(h) for h in result.hits], "count": len(result.hits),
            "timings": result.timings}
