"""Start-up cost of the `gaios` command: wall time of `gaios --help` and of each
subcommand's help (a fresh interpreter each time), and the heavy libraries each loads.
Prints a Markdown table; figures depend heavily on machine load (note `uptime`)."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [[], ["serve"], ["ingest"], ["import"], ["eval"], ["keys"], ["db"]]


def help_seconds(args: list[str], repeats: int = 3) -> float:
    """Best of `repeats` runs: the least disturbed by other processes."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "app.cli", *args, "--help"], cwd=ROOT,
                       env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=True,
                       stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.1f}\n")
    print("| command | seconds (best of 3) |\n| --- | --- |")
    for args in COMMANDS:
        print(f"| `gaios {' '.join([*args, '--help'])}` | {help_seconds(args):.2f} |")


if __name__ == "__main__":
    main()
