"""Property-based tests (hypothesis) of the parts that meet untrusted text first: the
record-body parser, the chunker and the personal-data screen. None of them may crash on
any input; the parser refuses only with its own errors; redaction is idempotent."""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.routes.usecases import parse_record_body
from app.errors import InvalidRecord, PayloadTooLarge
from app.parsing import MAX_DEPTH, Limits, ParseError, TooDeep, load_json, load_yaml
from app.services import pii
from ingest.chunking import ChunkSettings, chunk_document
from ingest.loaders import LoadedDocument, Section

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=40)
# Text that looks like YAML and JSON: their punctuation, anchors, aliases, tags, indentation.
markup = st.text(alphabet=st.sampled_from(list("[]{}:,-&*!|>'\"#? \n\tab01.%@<=") + ["\u00e9"]),
                 max_size=300)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


@FAST
@given(st.binary(max_size=500) | markup.map(str.encode), st.booleans())
def test_record_body_parser_refuses_only_with_its_own_errors(raw: bytes, yaml_body: bool) -> None:
    try:
        data = parse_record_body(raw, yaml_body=yaml_body, max_bytes=10_000)
    except (InvalidRecord, PayloadTooLarge) as exc:
        assert exc.errors and exc.errors[0]["field"] == "(body)"
    else:
        assert isinstance(data, dict)


@FAST
@given(json_values)
def test_json_round_trips_or_is_refused_as_too_deep(value: Any) -> None:
    text = json.dumps(value)
    try:
        assert load_json(text, Limits(max_bytes=1_000_000, max_depth=3)) == value
        assert depth(value) <= 3
    except TooDeep:
        assert depth(value) > 3


@FAST
@given(markup)
def test_yaml_parser_never_fails_with_anything_but_a_parse_error(text: str) -> None:
    try:
        value = load_yaml(text, Limits(max_bytes=10_000))
    except ParseError:
        return
    assert depth(value) <= MAX_DEPTH


@SLOW
@given(st.lists(st.text(max_size=3_000), min_size=1, max_size=4), st.text(max_size=50))
def test_chunker_never_crashes_and_fits_every_chunk(texts: list[str], title: str) -> None:
    doc = LoadedDocument(doc_id="doc", title=title, doc_type="text", source="fuzz",
                         parser="text", sections=[Section(f"S{n}", t) for n, t in enumerate(texts)])
    chunk_settings = ChunkSettings(size=400, overlap=50, max_tokens=64)

    def count_tokens(text: str) -> int:
        return len(text.split())

    chunks = chunk_document(doc, chunk_settings, count_tokens)
    assert [c.id for c in chunks] == [f"doc:{n}" for n in range(len(chunks))]
    for chunk in chunks:
        assert chunk.embed_text.endswith(chunk.text)
        assert count_tokens(chunk.embed_text) <= 64 or len(chunk.text) < 80 \
            or len(chunk.text.split()) <= 1  # a single unbreakable word cannot be split


SAMPLES = ["jane.doe@stat.example.org", "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32",
           "Dr. Smith", "192.168.0.1", "AB 12 34 56 C", "4111 1111 1111 1111", "statistics"]
screened = st.lists(st.sampled_from(SAMPLES) | st.text(max_size=40), max_size=8).map(" ".join)


@SLOW
@given(screened)
def test_redaction_never_crashes_and_is_idempotent(text: str) -> None:
    once = pii.redact(text)
    assert pii.redact(once) == once
    for entity in ("jane.doe@", "7946 0958", "5698 7654"):
        assert entity not in once
