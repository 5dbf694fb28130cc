"""``python -m pipelines.sandbox demo``: the whole monitoring pipeline on this machine, step by step.

1. Start moto's server and the local SageMaker runtime on free ports of 127.0.0.1 (fake credentials).
2. Build the world (``world``): buckets, roles, two trained and registered model versions with real
   baselines (``baselines``), staging and prod endpoints with data capture, the predictions table.
3. Run buildspec.yml's build phase as written (the real ``get_baselines_and_configs.py``, cfn-lint and
   ``aws cloudformation package``) and deploy both stages' monitoring stacks (``build``).
4. Upload stream files (one ordinary hour, and the same hour a day later with drifted traffic, bad rows in
   both) and run the scoring Lambda's handler on their S3 events (``lambda_runner``): predictions land in
   DynamoDB, bad rows in ``rejected/``, and the prod endpoint writes data capture for those hours.
5. Write ground-truth labels for the scored transactions where the prod monitors read them, each hour's
   during the hour after it.
6. Run the portable monitors for prod on each hour, from exactly what was deployed (the stage export, the
   endpoint's capture destination, the package's model), into the export's output folders, and report them
   as text and HTML (``monitoring_runs``).
7. Fire prod's DataQuality schedule (prod is on the Processing backend) for the end of the drifted hour and
   follow it: moto executes the state machine, the processing stand-in runs the job's own command, the job
   writes results and CloudWatch metrics, the alert reaches an SQS queue on the topic (``scheduled_job``).
8. Print (and save as summary.json) what a person can check: packages per stage, monitors deployed per stage,
   rows scored, files written and where, each hour's monitor results and where the HTML report is.

With ``--serve`` everything keeps running afterwards, so the emulated AWS can be explored with
``aws --endpoint-url ...`` until Ctrl-C.

Modules: ``options`` (``DemoOptions``), ``session`` (the running emulator and runtime), ``traffic`` (stream
files, scoring, labels), ``scheduled_job`` (prod's scheduled job), ``summary`` (summary.json and the text a
person reads), ``steps`` (``run_demo``) and ``cli`` (the flags). The names tests and notebooks use are
importable from here.
"""

from pipelines.sandbox.demo.cli import entry_point, main, parser
from pipelines.sandbox.demo.options import DemoError, DemoOptions
from pipelines.sandbox.demo.session import Sandbox, running_sandbox, serve_until_interrupted
from pipelines.sandbox.demo.steps import demo_steps, run_demo
from pipelines.sandbox.demo.summary import DemoSummary, ScoringSummary, render_summary
from pipelines.sandbox.demo.traffic import HourOfTraffic, stream_files

__all__ = [
    "DemoError",
    "DemoOptions",
    "DemoSummary",
    "HourOfTraffic",
    "Sandbox",
    "ScoringSummary",
    "demo_steps",
    "entry_point",
    "main",
    "parser",
    "render_summary",
    "run_demo",
    "running_sandbox",
    "serve_until_interrupted",
    "stream_files",
]
