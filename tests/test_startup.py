"""Start-up cost (issue #14): the `gaios` command loads no heavy library before a command
needs it, so `gaios --help` and every subcommand's help stay fast (timings are measured in
benchmarks/startup_bench.py, not here)."""

import json
from typing import get_args

import click

from app.cli import main
from app.schemas.keys import GrantableRole
from app.services.auth import Role
from tests.process_helpers import fresh_python

HEAVY = ("torch", "transformers", "sentence_transformers", "presidio_analyzer", "chromadb",
         "llama_cpp", "matplotlib",
         # each lighter, but over a second together: the services behind the container
         "app.core.container", "sqlalchemy", "bm25s", "scipy", "numpy",
         "langchain_text_splitters", "httpx", "fastapi", "uvicorn", "prometheus_client",
         "ingest.pipeline", "evaluation.runner", "evaluation.judge", "app.services.harvest")

# Shows each help page in turn in one fresh interpreter and reports, per page, the heavy
# modules loaded by then (so a page that loads one is named).
HELP_PAGES_PROBE = """
import contextlib, io, json, sys
from app.cli import main
loaded = {}
for words in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()):
        main.main([*words, "--help"], standalone_mode=False)
    loaded[" ".join(["gaios", *words])] = [m for m in HEAVY if m in sys.modules]
print(json.dumps(loaded))
"""


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under `gaios`, as the words that name it."""
    paths = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def run_probe(code: str, *args: str) -> str:
    return fresh_python(f"HEAVY = {HEAVY!r}\n{code}", *args)


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = "import sys, app.cli\nprint(' '.join(m for m in HEAVY if m in sys.modules))"
    assert run_probe(code).split() == []


def test_no_help_page_loads_a_heavy_library() -> None:
    pages = command_paths()
    assert len(pages) > 20  # every group and command, not only the top level
    loaded = json.loads(run_probe(HELP_PAGES_PROBE, json.dumps(pages)))
    assert {page: mods for page, mods in loaded.items() if mods} == {}


def test_the_roles_a_key_can_be_given_are_every_role_but_anonymous() -> None:
    """`gaios keys create --role` lists them without importing the key store."""
    assert set(get_args(GrantableRole)) == {r.value for r in Role if r != Role.anonymous}
