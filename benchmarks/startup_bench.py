"""Start-up cost (issue #14), each figure from fresh processes:

- `help`: wall time of `gaios --help` and of every subcommand's help, best of 3;
- `serve`: `gaios serve` with the bundled defaults (local llama.cpp model, `select` mode,
  all-MiniLM-L6-v2) on a temporary data folder holding the shipped corpus (ingested once,
  not timed): seconds until `/healthz` answers and until `/readyz` answers 200, best of 3;
- `eval`: `gaios eval all --limit 5 --backend extractive`, a first run (builds the
  evaluation index) and a second (reuses it), in a temporary data folder.

Prints Markdown tables. Wall times depend heavily on machine load (the load average is
printed before each part; run when the machine is idle if you can). CPU seconds (user +
system of the process measured) depend on it much less: on an idle machine the wall time of
a one-threaded start is about its CPU time.

    python benchmarks/startup_bench.py [help] [serve] [eval]   (default: all three)
"""

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("GAIOS_")},
       "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}


def gaios(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def best_of(repeats: int, run: Callable[[], tuple[float, ...]]) -> tuple[float, ...]:
    """Each figure's least disturbed value (by other processes) over `repeats` runs."""
    return tuple(min(values) for values in zip(*(run() for _ in range(repeats)), strict=True))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def help_seconds(words: tuple[str, ...]) -> tuple[float, float]:
    """Wall and CPU seconds of one help page."""
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(gaios(*words, "--help"), cwd=ROOT, env=ENV, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, children_cpu() - cpu


def help_pages() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.test_startup import command_paths  # every command and group under `gaios`

    print("| command | wall s (best of 3) | CPU s (best of 3) |\n| --- | --- | --- |")
    for words in command_paths():
        wall, cpu = best_of(3, lambda words=words: help_seconds(words))
        print(f"| `gaios {' '.join([*words, '--help'])}` | {wall:.2f} | {cpu:.2f} |")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def search_ok(base: str) -> bool:
    request = urllib.request.Request(f"{base}/api/v1/search", method="POST",
                                     data=b'{"query": "occupation coding", "k": 3}',
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return int(response.status) == 200


def serve_seconds(env: dict[str, str]) -> tuple[float, float, float, float]:
    """Seconds from launch to the first `/healthz` 200, to the first `/readyz` 200 and to
    the answer of a first search after it, and the CPU seconds used by then."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen(gaios("serve", "--port", str(port)), cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    alive = None
    try:
        while time.perf_counter() - started < 300:
            if alive is None and status(f"{base}/healthz") == 200:
                alive = time.perf_counter() - started
            if alive is not None and status(f"{base}/readyz") == 200:
                ready = time.perf_counter() - started
                assert search_ok(base)
                return alive, ready, time.perf_counter() - started, process_cpu(process.pid)
            time.sleep(0.02)
        raise SystemExit("gaios serve was not ready within 300 s")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def serve_ready() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**ENV, "GAIOS_DATA_DIR": str(Path(tmp) / "var")}
        subprocess.run(gaios("ingest"), cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        runs = [serve_seconds(env) for _ in range(3)]
    alive, ready, searched, cpu = (min(values) for values in zip(*runs, strict=True))
    print("| `gaios serve` (bundled defaults, shipped corpus) | seconds (best of 3) |\n"
          f"| --- | --- |\n| `/healthz` 200 | {alive:.2f} |\n| `/readyz` 200 | {ready:.2f} |\n"
          f"| a first search answered after that | {searched:.2f} |\n"
          f"| CPU used by then | {cpu:.2f} |")


def eval_runs() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**ENV, "GAIOS_DATA_DIR": str(Path(tmp) / "var")}
        args = gaios("eval", "all", "--limit", "5", "--backend", "extractive",
                     "--out", str(Path(tmp) / "runs"))
        print("| `gaios eval all --limit 5 --backend extractive` | seconds |\n| --- | --- |")
        for label in ("first run (builds the evaluation index)", "second run (reuses it)"):
            started = time.perf_counter()
            subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            print(f"| {label} | {time.perf_counter() - started:.1f} |")


PARTS = {"help": help_pages, "serve": serve_ready, "eval": eval_runs}


def main() -> None:
    for name in sys.argv[1:] or list(PARTS):
        print(f"\n{name}: load average {os.getloadavg()[0]:.1f}\n")
        PARTS[name]()
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
