"""Valid records for tests, built fresh each time so a test can change one field."""

from typing import Any


def new_usecase(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "demo-nso-coding-assistant",
        "title": "Coding assistant for occupation write-ins at the Demo statistics office",
        "summary": "An open model proposes ISCO codes for free-text job titles collected in the "
                   "labour force survey; coders confirm or correct each proposal.",
        "organisations": [{"name": "Demo Statistics Office", "acronym": "DSO", "type": "nso",
                           "country": "NLD"}],
        "year_started": "2025",
        "lifecycle_stage": "pilot",
        "scope": "production",
        "gsbpm": ["5.2"],
        "task_types": ["classification_coding"],
        "genai_patterns": ["rag"],
        "model_openness": "open_weights_permissive",
        "hosting": "on_premise",
        "data_sensitivity": "confidential_statistical",
        "human_oversight": "human_in_the_loop",
        "sources": [{"url": "https://example.org/demo-coding-pilot"}],
        "record_meta": {"created": "2026-11-25", "updated": "2026-11-25",
                        "curator": "test suite", "licence": "CC-BY-4.0"},
    }
    record.update(changes)
    return record
