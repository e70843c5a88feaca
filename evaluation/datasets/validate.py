"""Check the GAIOS evaluation datasets against the shipped corpus.

Run from the repository root:  .venv/bin/python evaluation/datasets/validate.py
Exits non-zero on any error; prints counts and warnings.
"""

import copy
import json
import re
import sys
from collections import Counter
from pathlib import Path

import frontmatter
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.schemas.records import Document, UseCase  # noqa: E402
from app.services.retrieval import FLAG_FILTERS, VALUE_FILTERS, metadata_matches  # noqa: E402
from ingest.loaders import load_markdown, load_usecase_yaml  # noqa: E402

HERE = Path(__file__).resolve().parent
RECORDS = ROOT / "usecases" / "records"
DOCUMENTS = ROOT / "usecases" / "documents"
LANGS = {"en", "fr", "de", "es"}
ENTITIES = {"EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "UK_NINO", "US_SSN", "NATIONAL_ID", "PERSON",
            "CREDIT_CARD"}
BASE_RECORD = RECORDS / "ons-statschat.yaml"

errors: list[str] = []
warnings: list[str] = []


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def load_jsonl(name: str) -> list[dict]:
    rows = []
    for n, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            errors.append(f"{name}:{n}: empty line")
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            errors.append(f"{name}:{n}: not JSON ({exc})")
    ids = Counter(r.get("id") for r in rows)
    errors.extend(f"{name}: duplicate id {i}" for i, c in ids.items() if c > 1)
    return rows


def corpus() -> dict[str, dict]:
    docs = {}
    for path in sorted(RECORDS.glob("*.yaml")):
        loaded = load_usecase_yaml(path)
        text = loaded.title + "\n" + "\n".join(f"{s.heading}\n{s.text}" for s in loaded.sections)
        meta = {"doc_type": loaded.doc_type, **loaded.facets}
        docs[loaded.doc_id] = {"text": norm(text), "raw": path.read_text(encoding="utf-8").lower(), "meta": meta}
    for path in sorted(DOCUMENTS.glob("*.md")):
        loaded = load_markdown(path)
        text = loaded.title + "\n" + "\n".join(f"{s.heading}\n{s.text}" for s in loaded.sections)
        meta = {"doc_type": loaded.doc_type, **loaded.facets}
        docs[loaded.doc_id] = {"text": norm(text), "raw": path.read_text(encoding="utf-8").lower(), "meta": meta}
    return docs


def check_answerable(docs: dict[str, dict]) -> list[dict]:
    rows = load_jsonl("answerable.jsonl")
    covered = set()
    for r in rows:
        rid = r.get("id")
        for field in ("question", "lang", "type", "relevant", "key_facts"):
            if field not in r:
                errors.append(f"answerable {rid}: missing {field}")
        if r.get("lang") not in LANGS:
            errors.append(f"answerable {rid}: bad lang")
        if r.get("type") not in {"keyword", "natural", "followup", "new_topic", "filter", "multi_doc"}:
            errors.append(f"answerable {rid}: bad type")
        rel = r.get("relevant", [])
        if not rel:
            errors.append(f"answerable {rid}: no relevant documents")
        for d in rel:
            if d not in docs:
                errors.append(f"answerable {rid}: unknown document {d}")
        covered.update(rel)
        facts = r.get("key_facts", [])
        if not 1 <= len(facts) <= 3:
            errors.append(f"answerable {rid}: {len(facts)} key facts (want 1-3)")
        for fact in facts:
            if not any(norm(fact) in docs[d]["text"] for d in rel if d in docs):
                errors.append(f"answerable {rid}: key fact {fact!r} not in any relevant document")
            elif not any(fact.lower() in docs[d]["raw"] for d in rel if d in docs):
                warnings.append(f"answerable {rid}: key fact {fact!r} only found after joining lines")
        if r.get("type") in ("followup", "new_topic"):
            hist = r.get("history") or []
            if not hist or any(h.get("role") not in {"user", "assistant"} or not h.get("content") for h in hist):
                errors.append(f"answerable {rid}: followup needs a history of user/assistant turns")
        elif "history" in r:
            errors.append(f"answerable {rid}: history on a question that is not a follow-up")
        if r.get("type") == "filter":
            filters = r.get("filters") or {}
            if not filters:
                errors.append(f"answerable {rid}: filter question without filters")
            bad = [k for k in filters if k not in FLAG_FILTERS + VALUE_FILTERS]
            if bad:
                errors.append(f"answerable {rid}: unknown filter keys {bad}")
            for d in rel:
                if d in docs and not metadata_matches(docs[d]["meta"], filters):
                    errors.append(f"answerable {rid}: relevant {d} does not match filters {filters}")
        elif "filters" in r:
            errors.append(f"answerable {rid}: filters on a non-filter question")
    missing = sorted(set(docs) - covered)
    if missing:
        errors.append(f"answerable: documents never relevant: {missing}")
    return rows


def check_unanswerable() -> list[dict]:
    rows = load_jsonl("unanswerable.jsonl")
    for r in rows:
        if r.get("lang") not in LANGS or not r.get("question"):
            errors.append(f"unanswerable {r.get('id')}: bad lang or empty question")
        if r.get("type") not in {"figure", "person", "event", "near_corpus", "out_of_domain",
                                 "follow_up"}:
            errors.append(f"unanswerable {r.get('id')}: bad type")
        if r.get("type") == "near_corpus" and r.get("record") and \
                not (ROOT / "usecases" / "records" / f"{r['record']}.yaml").exists():
            errors.append(f"unanswerable {r.get('id')}: unknown record {r['record']}")
        if (r.get("type") == "follow_up") != bool(r.get("history")):
            errors.append(f"unanswerable {r.get('id')}: follow_up questions (only) have a history")
    near = [r for r in rows if r.get("type") == "near_corpus"]
    if len(near) < 60 or len({r.get("record") for r in near if r.get("record")}) < 15:
        errors.append("unanswerable: at least 60 near_corpus questions over 15 records")
    return rows


def check_markdown(path: Path, *, confidential: bool, markers: list[str]) -> None:
    post = frontmatter.load(path)
    try:
        doc = Document.model_validate(post.metadata)
    except Exception as exc:  # noqa: BLE001
        errors.append(f"{path.name}: front matter is not a valid Document: {exc}")
        return
    if doc.confidential is not confidential:
        errors.append(f"{path.name}: confidential should be {confidential}")
    if doc.id != path.stem:
        errors.append(f"{path.name}: id {doc.id} differs from file name")
    for m in markers:
        if m not in post.content:
            errors.append(f"{path.name}: marker {m} not in the body")


def check_confidentiality(docs: dict[str, dict]) -> list[dict]:
    rows = load_jsonl("confidentiality.jsonl")
    expect = {"pii_question": "redact", "injection": "no_leak", "planted_injection": "no_leak",
              "secret_extraction": "no_leak"}
    for r in rows:
        rid, kind = r.get("id"), r.get("kind")
        if kind not in expect:
            errors.append(f"confidentiality {rid}: bad kind")
            continue
        if r.get("expect") not in {"redact", "no_leak", "refuse"}:
            errors.append(f"confidentiality {rid}: bad expect")
        if kind == "pii_question":
            if not r.get("pii"):
                errors.append(f"confidentiality {rid}: pii_question without pii strings")
            for s in r.get("pii", []):
                if s not in r["question"]:
                    errors.append(f"confidentiality {rid}: pii {s!r} not in the question")
        elif "pii" in r:
            errors.append(f"confidentiality {rid}: pii on a non-pii probe")
    secret = json.loads((HERE / "secret-markers.json").read_text())
    planted = json.loads((HERE / "planted-markers.json").read_text())
    check_markdown(HERE / "confidential" / f"{secret['document']}.md", confidential=True, markers=secret["markers"])
    check_markdown(HERE / "planted" / f"{planted['document']}.md", confidential=False, markers=planted["markers"])
    for m in secret["markers"] + planted["markers"]:
        if any(m.lower() in d["raw"] for d in docs.values()):
            errors.append(f"marker {m} occurs in the shipped corpus")
    return rows


def check_submissions() -> list[dict]:
    rows = load_jsonl("submissions.jsonl")
    base = yaml.safe_load(BASE_RECORD.read_text(encoding="utf-8"))
    for r in rows:
        rid = r.get("id")
        ents = r.get("entities", [])
        if set(ents) - ENTITIES:
            errors.append(f"submissions {rid}: unknown entities {set(ents) - ENTITIES}")
        if bool(ents) != bool(r.get("has_personal_data")):
            errors.append(f"submissions {rid}: has_personal_data disagrees with entities")
        record = copy.deepcopy(base)
        record.update(r.get("changes", {}))
        try:
            UseCase.model_validate(record)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"submissions {rid}: changed record does not validate: {exc}")
    return rows


def main() -> int:
    docs = corpus()
    a = check_answerable(docs)
    u = check_unanswerable()
    c = check_confidentiality(docs)
    s = check_submissions()
    print(f"corpus: {len(docs)} documents")
    print(f"answerable: {len(a)}  types {dict(Counter(r['type'] for r in a))}  langs {dict(Counter(r['lang'] for r in a))}")
    print(f"unanswerable: {len(u)}  types {dict(Counter(r['type'] for r in u))}  langs {dict(Counter(r['lang'] for r in u))}")
    print(f"confidentiality: {len(c)}  kinds {dict(Counter(r['kind'] for r in c))}")
    print(f"submissions: {len(s)}  personal {sum(r['has_personal_data'] for r in s)}  "
          f"entities {dict(Counter(e for r in s for e in r['entities']))}")
    for w in warnings:
        print("WARNING", w)
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
