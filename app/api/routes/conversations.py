"""The caller's past conversations: a list for the chat page and each one's answers.
Only the caller who started a conversation sees it (anyone else gets 404)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.api.deps import ContainerDep, ConversationOwnerDep, ReaderDep
from app.schemas.conversations import ConversationList, ConversationPublic

router = APIRouter(prefix="/conversations", tags=["chat"])


@router.get("", response_model=ConversationList)
def list_conversations(container: ContainerDep, _: ReaderDep, owner: ConversationOwnerDep,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """The caller's conversations (its API key's, or its browser session's), latest
    activity first, each titled by its first question."""
    page = container.conversations.page(owner, limit=limit, offset=offset)
    return {"data": page.items, "count": page.total, "limit": limit, "offset": offset}


@router.get("/{conversation_id}", response_model=ConversationPublic)
def read_conversation(
    conversation_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{4,64}$")],
    container: ContainerDep, _: ReaderDep, owner: ConversationOwnerDep,
) -> dict[str, Any]:
    """One of the caller's conversations with its answers and their citations, oldest
    first; continue it by sending its id as `conversation_id` to `POST /chat`."""
    return container.conversations.get(conversation_id, owner)
