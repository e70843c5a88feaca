"""Prints the README's settings table from the Settings model (so the two cannot drift;
tests/test_docs.py checks that every setting appears in the README)."""

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.core.config import PROJECT_ROOT, Settings


def rows(model: type[BaseModel], prefix: str = "GAIOS_") -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += rows(annotation, f"{prefix}{name.upper()}__")
        else:
            out.append((f"{prefix}{name.upper()}", default_text(field), field.description or ""))
    return out


def default_text(field: FieldInfo) -> str:
    value = field.default
    text = str(value).replace(str(PROJECT_ROOT), ".") if value not in ("", None) else "(empty)"
    return f"`{text}`"


if __name__ == "__main__":
    print("| variable | default | meaning |\n|---|---|---|")
    for env, default, description in rows(Settings):
        print(f"| `{env}` | {default} | {description} |")
