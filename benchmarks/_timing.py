"""Figures from repeated timings (percentiles, a p50/p95/p99 summary) and the machine they came from."""

import datetime
import os
import platform
import statistics


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` (0..1) of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(int(round(share * (len(ordered) - 1))), len(ordered) - 1)]


def summary(timings: list[float]) -> dict:
    """p50, p95 and p99 of timings in milliseconds, rounded, with their count."""
    return {"p50": round(statistics.median(timings), 2), "p95": round(percentile(timings, 0.95), 2),
            "p99": round(percentile(timings, 0.99), 2), "n": len(timings)}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def machine() -> dict:
    """Where and when the figures were taken, with the load average: other work on the machine skews them."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "cpu": _cpu_model(), "memory_gb": _memory_gb(),
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}",
            "date": datetime.date.today().isoformat(),
            "load_average": [round(value, 2) for value in load] if load else None}
