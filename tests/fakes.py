"""A scripted language model for tests of the logic around the model (the real local
and OpenAI-compatible backends have their own tests). It records every message it is
sent, which is how the tests observe what crosses the model boundary."""

import json
from collections.abc import Iterator
from typing import Any

from app.components.llm import Message, Usage
from app.errors import UpstreamError


class ScriptedLLM:
    backend = "scripted"
    model = "scripted-test-model"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.calls: list[list[Message]] = []

    def check(self) -> None:
        return None

    def stream(self, messages: list[Message], usage: Usage) -> Iterator[str]:
        self.calls.append(messages)
        reply = self.replies.pop(0) if self.replies else "The repository does not contain this information."
        for word in reply.split(" "):
            yield word + " "

    def structured(self, messages: list[Message], schema: dict[str, Any], usage: Usage) -> Any:
        """The next reply, which a test writes as the JSON a grammar would allow."""
        self.calls.append(messages)
        return json.loads(self.replies.pop(0))

    def sent_text(self) -> str:
        return "\n".join(m["content"] for call in self.calls for m in call)


class FailingLLM(ScriptedLLM):
    """A model server that streams its first words and then breaks off."""

    def stream(self, messages: list[Message], usage: Usage) -> Iterator[str]:
        yield from super().stream(messages, usage)
        raise UpstreamError("the model server at http://10.0.0.7:8000/v1 failed: connection reset")
