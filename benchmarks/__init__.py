"""Benchmarks: run as modules (``python -m benchmarks.<name>``), never as tests.

Their figures go to docs/benchmarks.md.
"""
