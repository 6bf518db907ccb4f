"""Benchmarks and the per-agent reference implementation (not part of the package)."""
