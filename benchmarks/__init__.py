"""Benchmarks: run as modules (``python -m benchmarks.<name>``), never as tests; figures go to the README."""
