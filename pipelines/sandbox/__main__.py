"""``python -m pipelines.sandbox demo [--serve] ...``: see ``pipelines.sandbox.demo``."""

from pipelines.sandbox.demo.cli import entry_point

if __name__ == "__main__":
    entry_point()
