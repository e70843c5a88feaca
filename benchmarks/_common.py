"""Helpers shared by the benchmarks: environment, machine description, tables, results."""

import json
import os
import platform
import resource
import sys
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
    import time

    busy0, total0 = cpu_jiffies()
    time.sleep(seconds)
    busy1, total1 = cpu_jiffies()
    return (busy1 - busy0) / max(total1 - total0, 1e-9)


def wait_until_idle(max_wait: float, threshold: float = 0.15, label: str = "") -> dict[str, float]:
    """Wait (at most max_wait seconds) until other processes use under `threshold` of
    the CPUs: other engineers' test runs on a 2-core machine distort every figure."""
    import time

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
