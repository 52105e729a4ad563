"""Figures from repeated timings: percentiles and a p50/p95/p99 summary."""

import statistics


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` (0..1) of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(int(round(share * (len(ordered) - 1))), len(ordered) - 1)]


def summary(timings: list[float]) -> dict:
    """p50, p95 and p99 of timings in milliseconds, rounded, with their count."""
    return {"p50": round(statistics.median(timings), 2), "p95": round(percentile(timings, 0.95), 2),
            "p99": round(percentile(timings, 0.99), 2), "n": len(timings)}
