"""docker-compose.yml starts in order (pinned images, a health check on every
long-running service, dependants waiting for health) and logs read well where they are read."""

import io
import re

import pytest
import yaml

from app.core.config import PROJECT_ROOT
from app.observability import resolve_log_format


def services() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]


def one_shot(service: dict) -> bool:  # type: ignore[type-arg]
    return service.get("restart") == "no"


def test_every_image_is_pinned_to_a_version() -> None:
    for name, service in services().items():
        image = service["image"]  # a version tag, or a variable defaulting to one
        assert re.search(r":(\$\{\w+:-)?v?\d+[.\w-]*\}?$", image), f"{name}: {image} floats"


def test_every_long_running_service_has_a_health_check() -> None:
    for name, service in services().items():
        if not one_shot(service):
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_dependants_wait_for_health_or_completion_never_for_a_mere_start() -> None:
    all_services = services()
    for name, service in all_services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            expected = ("service_completed_successfully" if one_shot(all_services[dependency])
                        else "service_healthy")
            assert rule["condition"] == expected, f"{name} -> {dependency}"


def test_the_model_is_pulled_before_gaios_starts() -> None:
    all_services = services()
    pull = all_services["ollama-pull"]
    assert pull["entrypoint"][:2] == ["ollama", "pull"] and one_shot(pull)
    assert "ollama-pull" in all_services["gaios"]["depends_on"]
    assert "${GAIOS_LLM_MODEL" in pull["entrypoint"][2]
    assert all_services["gaios"]["environment"]["GAIOS_LLM__MODEL"].startswith("${GAIOS_LLM_MODEL")


def test_image_health_check_polls_readiness() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    (check,) = re.findall(r"^HEALTHCHECK .*\n\s+CMD (.+)$", text, flags=re.MULTILINE)
    assert "/readyz" in check and "/healthz" not in check


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("setting", "stream", "expected"), [
    ("auto", Terminal(), "text"),
    ("auto", io.StringIO(), "json"),
    ("json", Terminal(), "json"),
    ("text", io.StringIO(), "text"),
])
def test_log_format_auto_is_text_at_a_terminal_and_json_elsewhere(
        setting: str, stream: io.StringIO, expected: str) -> None:
    assert resolve_log_format(setting, stream) == expected
