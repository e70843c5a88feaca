"""Running a script in a fresh interpreter: what a module imports shows only in a process
that has imported nothing else."""

import subprocess
import sys

from app.core.config import PROJECT_ROOT


def fresh_python(script: str, *args: str) -> str:
    """The standard output of `script` (its argv after it: `args`), run offline from the
    project folder; a failing script fails the test with its error output."""
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
