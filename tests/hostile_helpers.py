"""Inputs at the limits of the record schema, and a real server on loopback, for the
hostile-input and fuzzing tests."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from app.core.config import Settings
from app.main import create_app
from app.schemas.records import MAX_DESCRIPTION, MAX_ITEMS
from tests.conftest import free_port
from tests.factories import new_usecase


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """The application served by uvicorn in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(300):
            if server.started:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("uvicorn did not start within 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)

WORDS = "the coding pilot compared model proposals with the coders' choices each week "


def prose(length: int) -> str:
    """Plain text of exactly `length` characters, with no personal data in it."""
    return (WORDS * (length // len(WORDS) + 1))[:length].strip() + "."


def largest_valid_usecase() -> dict[str, Any]:
    """A valid use case with every long field and list at its maximum: the worst case
    the validation (schema and personal-data screen) must handle."""
    def paragraphs() -> list[str]:  # distinct, so a YAML dump has no aliases
        return [f"{n} {prose(3_990)}" for n in range(MAX_ITEMS)]

    return new_usecase(
        description=prose(MAX_DESCRIPTION - 10),
        data_inputs=prose(3_990),
        lessons_learned=paragraphs(),
        benefits=[{"type": "efficiency", "text": p} for p in paragraphs()],
        risks=[{"risk": "hallucination", "mitigation": p, "note": p.upper()} for p in paragraphs()],
    )
