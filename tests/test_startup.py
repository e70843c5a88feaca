"""Start-up cost (issue #14): the `gaios` command loads no heavy library before a command
needs it, so `gaios --help` and every subcommand's help stay fast (timings are measured in
benchmarks/, not here)."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "sentence_transformers", "presidio_analyzer", "chromadb",
         "llama_cpp", "matplotlib")


def test_importing_the_cli_imports_no_heavy_library() -> None:
    probe = ("import sys, app.cli; "
             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == []
