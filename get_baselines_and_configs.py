"""Configure the monitoring schedules of every stage (run by CodeBuild when a model is approved).

Thin entry point: the flow lives in ``pipelines.deploy`` (see ``pipelines/deploy/flow.py``), the flags in
``pipelines/deploy/cli.py``. ``python get_baselines_and_configs.py --help`` lists them.
"""

from pipelines.deploy.cli import entry_point

if __name__ == "__main__":
    entry_point()
