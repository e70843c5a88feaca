"""Prompt templates: one YAML file each in `prompts/`, with an id, a version, a
description and the variables it declares. Loaded and checked at start-up; a missing
variable is an error before any model is called."""

import string
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from app.errors import InvalidRecord


class MissingVariables(InvalidRecord):
    pass


class PromptTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    version: str
    description: str
    variables: list[str]
    system: str
    user: str
    # The user text in other languages, by language code: fixed replies (no model) are
    # given in the language of the question.
    translations: dict[str, str] = {}

    @model_validator(mode="after")
    def _declared(self) -> "PromptTemplate":
        for lang, user in {"": self.user, **self.translations}.items():
            used = {name for text in (self.system, user)
                    for _, name, _, _ in string.Formatter().parse(text) if name}
            if used != set(self.variables):
                raise ValueError(f"variables {sorted(self.variables)} do not match the "
                                 f"template's {sorted(used)}{f' in {lang}' if lang else ''}")
        return self

    def render(self, **values: str) -> tuple[str, str]:
        """(system, user) with every declared variable filled in."""
        missing = set(self.variables) - set(values)
        if missing:
            raise MissingVariables(f"prompt {self.id} needs {', '.join(sorted(missing))}")
        return self.system.format(**values).strip(), self.user.format(**values).strip()

    def render_in(self, lang: str, **values: str) -> tuple[str, str]:
        """As `render`, with the user text in `lang` when the template has it."""
        system, user = self.render(**values)
        if lang in self.translations:
            user = self.translations[lang].format(**values).strip()
        return system, user


def load_prompts(folder: Path) -> dict[str, PromptTemplate]:
    prompts: dict[str, PromptTemplate] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            prompt = PromptTemplate.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as exc:
            raise InvalidRecord(f"{path}: invalid prompt template: {exc}") from exc
        if prompt.id != path.stem:
            raise InvalidRecord(f"{path}: id {prompt.id!r} must match the file name")
        prompts[prompt.id] = prompt
    return prompts
