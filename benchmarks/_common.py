"""Helpers shared by the benchmarks: environment, machine description, tables, results."""

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(os.environ.get("GAIOS_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
REAL_DATA = Path(os.environ.get("GAIOS_BENCH_REAL_DATA", "/work/shared/data/real"))
US_CSV = REAL_DATA / "us-federal-ai-use-cases-2025.csv"
ANSWERABLE = ROOT / "evaluation" / "datasets" / "answerable.jsonl"

# Offline and quiet, before anything imports transformers or chromadb.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def peak_rss_mib() -> float:
    """Peak resident set size of this process (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    cpu = "unknown"
    flags: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = [f for f in line.split(":", 1)[1].split()
                         if f.startswith(("avx", "amx")) or f == "fma"]
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str] = {}
    for name in ("torch", "sentence-transformers", "transformers", "chromadb", "onnxruntime",
                 "onnx", "langchain-text-splitters", "langchain-huggingface", "langchain-chroma",
                 "llama-cpp-python", "bm25s", "fastapi", "uvicorn"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return {"nproc": os.cpu_count(), "cpu": cpu, "cpu_flags": flags,
            "ram_gib": round(mem_kib / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """A Markdown table of dict rows."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])

    def fmt(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return "" if value is None else str(value)

    cells = [[fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(v.ljust(w) for v, w in zip(row, widths)) + " |" for row in cells]
    return "\n".join(lines)


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")
    return path


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def load_questions() -> list[dict[str, Any]]:
    return [json.loads(line) for line in ANSWERABLE.read_text().splitlines() if line.strip()]


def cpu_jiffies() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    total = sum(fields[:8])
    idle = fields[3] + fields[4]
    return (total - idle) / hz, total / hz


def machine_busy(seconds: float = 3.0) -> float:
    """Fraction of the machine's CPU capacity in use over the next `seconds`."""

    busy0, total0 = cpu_jiffies()
    time.sleep(seconds)
    busy1, total1 = cpu_jiffies()
    return (busy1 - busy0) / max(total1 - total0, 1e-9)


def wait_until_idle(max_wait: float, threshold: float = 0.15, label: str = "") -> dict[str, float]:
    """Wait (at most max_wait seconds) until other processes use under `threshold` of
    the CPUs: other engineers' test runs on a 2-core machine distort every figure."""

    started = time.perf_counter()
    busy = machine_busy()
    while busy > threshold and time.perf_counter() - started < max_wait:
        print(f"[bench] {label}: machine {busy:.0%} busy with other work; waiting", flush=True)
        time.sleep(10)
        busy = machine_busy()
    return {"busy_before": round(busy, 3), "waited_s": round(time.perf_counter() - started, 1)}


def cpu_seconds_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- servers

HOST = "127.0.0.1"  # every request goes to the loopback interface only


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process on a free loopback port (`command` gets the port), its output in
    `log`, ready once `ready_path` answers 200; its start-up time, CPU time and memory."""

    def __init__(self, command: Callable[[int], list[str]], ready_path: str, log: Path, *,
                 env: dict[str, str] | None = None, cwd: Path | None = None,
                 name: str = "the server", timeout: float = 180) -> None:
        import httpx

        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log = log.open("w")
        started = time.perf_counter()
        self.process = subprocess.Popen(command(self.port), env=env, cwd=cwd, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout  # minutes, on a machine loaded tenfold
        while True:
            if self.process.poll() is not None:
                self.log.close()
                raise RuntimeError(f"{name} exited with {self.process.returncode}; see {log}")
            try:
                if httpx.get(f"{self.base}{ready_path}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not start in {timeout:.0f} s; see {log}")
            time.sleep(0.3)
        self.startup_s = round(time.perf_counter() - started, 2)

    @classmethod
    def gaios(cls, data_dir: Path, backend: str, log: Path,
              extra_env: dict[str, str] | None = None) -> "Server":
        """`gaios serve` on this data folder with this LLM backend, running this checkout's
        code (PYTHONPATH), not the installed copy's."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GAIOS_DATA_DIR": str(data_dir),
               "GAIOS_LLM__BACKEND": backend, "GAIOS_RATE_LIMIT_CHAT_PER_MINUTE": "0",
               "GAIOS_RATE_LIMIT_UPLOAD_PER_MINUTE": "0", "GAIOS_LOG_FORMAT": "json",
               **(extra_env or {})}
        gaios = str(Path(sys.executable).parent / "gaios")
        return cls(lambda port: [gaios, "serve", "--host", HOST, "--port", str(port)],
                   "/healthz", log, env=env, cwd=ROOT, name="the server")

    def _status(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak) of the process, in MiB."""
        values = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS", "VmHWM")):
                values[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
        return values

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        """Peak resident memory of the server process so far (VmHWM), in MiB."""
        return self._status().get("VmHWM", float("nan"))

    def memory_mib(self) -> dict[str, float]:
        """Resident memory now and at its peak, in MiB."""
        values = self._status()
        return {"rss_mib": values.get("VmRSS", 0.0), "peak_rss_mib": values.get("VmHWM", 0.0)}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
