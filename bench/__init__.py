"""Benchmarks anyone can rerun (docs/performance.md); `machine` describes their machine."""
