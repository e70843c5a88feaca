"""Inputs at the limits of the record schema, for the hostile-input tests."""

from typing import Any

from app.schemas.records import MAX_DESCRIPTION, MAX_ITEMS
from tests.factories import new_usecase

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
