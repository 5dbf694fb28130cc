"""``python -m pipelines.sandbox demo [--serve] ...`` (see ``pipelines.sandbox.demo``) and
``python -m pipelines.sandbox big-file ...`` (see ``pipelines.sandbox.big_file``)."""

from pipelines.sandbox.demo.cli import entry_point

if __name__ == "__main__":
    entry_point()
