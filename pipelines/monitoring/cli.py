"""``python -m pipelines.monitoring`` (console script ``fraud-monitor``): the portable monitors' command line.

- ``baseline``: a dataset (CSV or JSON Lines, local or S3) -> the monitors' baseline files
  (``pipelines.monitoring.baseline``);
- ``run``: one window of an endpoint's or a batch transform's data capture, or a dataset -> Model
  Monitor's result files (``settings_resolution`` then ``execution``); exit 0 without violations, 1 with
  violations or a failed monitor;
- ``report``: results of one or many executions -> terminal summary and HTML
  (``pipelines.monitoring.report``);
- ``capture-csv``: a CSV's rows -> data capture files and ground truth (``csv_capture``), to check a dataset
  of one's own with ``run``.

This is the only module that knows flags: it parses them into typed options, and shows the settings the
engine's messages name (``pipelines.setting_names``) as the flags that give them (``flag_of``), as moto's
``responses.py`` alone knows HTTP. Every user mistake exits 2 with one ``error:`` line per problem
(``pipelines.cli.run``); flag problems are collected and reported together. AWS clients are created only when
an ``s3://`` location (or an endpoint to explain) is used.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from pipelines import aws
from pipelines.cli import LOG_LEVELS, configure_logging, run
from pipelines.errors import UserError, collect_problems
from pipelines.monitoring.baseline import DEFAULT_PROBABILITY_THRESHOLD_PCT, BaselineOptions, make_baselines
from pipelines.monitoring.baseline_files import BaselineFiles
from pipelines.monitoring.bias.drift import DisparateImpactRule
from pipelines.monitoring.clarify_predictor import contract_predictor
from pipelines.monitoring.csv_capture import (
    DEFAULT_VARIANT,
    CsvCaptureOptions,
    RequestContentType,
    write_csv_capture,
)
from pipelines.monitoring.dataset_reader import DatasetFormat, DatasetLayout
from pipelines.monitoring.engines import EngineKind, EngineSpec
from pipelines.monitoring.execution import RunInputError, run_execution
from pipelines.monitoring.explainability.monitor import DEFAULT_BACKGROUND_ROWS
from pipelines.monitoring.explainers import fraud_model, load_explainer
from pipelines.monitoring.model_quality import ProblemType
from pipelines.monitoring.record_source import DatasetColumns
from pipelines.monitoring.rendering import render_baselines, render_execution
from pipelines.monitoring.run_settings import (
    DEFAULT_EXPLAIN_MAX_RECORDS,
    SETTINGS_ORDER,
    ExplainerSpec,
    RunOptions,
    Setting,
    baseline_file_setting,
)
from pipelines.monitoring.settings_resolution import resolve_run_settings, settings_rank
from pipelines.monitors import MONITORS, BaselineFileSpec, MonitorDefinition, MonitorType
from pipelines.s3uri import is_s3_uri
from pipelines.setting_names import SettingsError, show
from pipelines.stage_export import StageExport
from pipelines.storage import Storage
from pipelines.timewindow import (
    format_duration,
    format_utc,
    last_full_hour,
    parse_duration,
    parse_utc,
    window,
)

if TYPE_CHECKING:
    from boto3 import Session
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient

log = logging.getLogger(__name__)

PROG = "fraud-monitor"


class UsageError(UserError):
    """Flags that are missing, malformed or contradict each other."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is a ``UsageError`` (one ``error:`` line, exit 2) instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


# -- the flags of the settings -------------------------------------------------------------------------------
def baseline_file_flag(monitor: MonitorDefinition, spec: BaselineFileSpec) -> str:
    """``--data-quality-statistics``, ``--bias-config``, ...: the ``run`` flag of one baseline file."""
    return f"--{monitor.cli_name}-{spec.file.key}"


# Settings whose flag is not ``--`` and their name with dashes (as ``--explain-max-records`` is).
_OTHER_FLAGS = {
    Setting.STAGE_EXPORT.value: "--stage-config",
    Setting.WINDOW.value: "--start/--end",
    Setting.BASELINE_FILES.value: "per-file flags",
    Setting.HEADER.value: "--header/--no-header",
}


def flag_of(name: str) -> str:
    """The flag giving the setting ``name``: ``baseline.data_quality.statistics`` is given by
    ``--data-quality-statistics``, ``explain_max_records`` by ``--explain-max-records``."""
    if name in _OTHER_FLAGS:
        return _OTHER_FLAGS[name]
    for monitor in MONITORS.values():
        for spec in monitor.baseline_files:
            if name == baseline_file_setting(monitor, spec.file):
                return baseline_file_flag(monitor, spec)
    return "--" + name.replace("_", "-").replace(".", "-")


# -- small parsers -------------------------------------------------------------------------------------------
def _names(text: str | None) -> tuple[str, ...] | None:
    """``a,b , c`` -> ``("a", "b", "c")``; None stays None."""
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _monitors(text: str | None, problems: list[str]) -> tuple[MonitorType, ...] | None:
    """``--monitors``: CLI names or monitoring types, in the registry's order."""
    names = _names(text)
    if names is None:
        return None
    choices = ", ".join(MONITORS.cli_names)
    if not names:
        problems.append(f"--monitors is empty: give some of {choices}")
        return None
    unknown = [n for n in names if MONITORS.named(n) is None]
    if unknown:
        problems.append(f"--monitors {text!r}: {', '.join(map(repr, unknown))} is not one of {choices}")
        return None
    chosen = {definition.type for n in names if (definition := MONITORS.named(n)) is not None}
    return tuple(m for m in MONITORS if m in chosen)


def _dataset_format(text: str | None, problems: list[str]) -> DatasetFormat | None:
    if text is None:
        return None
    return collect_problems(problems, lambda: DatasetFormat.parse(text, what="--dataset-type"))


def _baseline_monitors(text: str | None, problems: list[str]) -> frozenset[MonitorType] | None:
    chosen = _monitors(text, problems)
    return None if chosen is None else frozenset(chosen)


def number(text: str) -> int | float:
    """Integers stay integers: Clarify prints the threshold 50 as ``(50, 80]``, not ``(50.0, 80]``."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _non_negative(value: float | None, flag: str, problems: list[str]) -> None:
    if value is not None and not value >= 0:  # NaN fails too
        problems.append(f"{flag} is {value}: expected a non-negative number")


class _Aws:
    """Clients on demand: an S3 client only when a location is on S3, created once."""

    def __init__(self, region: str | None) -> None:
        self._region = region
        self._session: Session | None = None
        self._s3: S3Client | None = None

    def _aws_session(self) -> Session:
        if self._session is None:
            self._session = aws.session(self._region)
        return self._session

    def storage(self, locations: Iterable[str | None]) -> Storage:
        if self._s3 is None and any(loc is not None and is_s3_uri(loc) for loc in locations):
            self._s3 = aws.client("s3", self._aws_session())
        return Storage(self._s3)

    def runtime(self) -> SageMakerRuntimeClient:
        return aws.client("sagemaker-runtime", self._aws_session())


# -- parser --------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="SageMaker Model Monitor's four monitors computed locally, in Model Monitor's formats.",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=os.environ.get("LOGLEVEL", "WARNING").upper(),
        help="Log level (default: $LOGLEVEL or WARNING).",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{baseline,run,report,capture-csv}"
    )
    for name, (summary, description, examples, add_flags) in _COMMANDS.items():
        add_flags(
            commands.add_parser(
                name,
                help=summary,
                description=description,
                epilog="examples:\n" + "\n".join(f"  {PROG} {name} {example}" for example in examples),
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region", help="AWS region for s3:// locations (default: AWS_REGION / the profile's)."
    )
    parser.add_argument(
        "--problem-type",
        choices=[p.value for p in ProblemType],
        help="Model quality problem type (baseline default: BinaryClassification; run: the baseline's).",
    )
    parser.add_argument(
        "--probability-threshold",
        type=float,
        help="A probability >= it is a positive prediction, in the probabilities' unit (default 50, %%).",
    )


def _csv_header_flags(
    parser: argparse.ArgumentParser,
    headers_help: str = "Column names for a header-less CSV, comma-separated.",
) -> None:
    """``--header``/``--no-header`` and ``--headers``: how a CSV's columns are named."""
    parser.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Whether a CSV's first row is a header (default: detect).",
    )
    parser.add_argument("--headers", help=headers_help)


def _dataset_layout_flags(parser: argparse.ArgumentParser) -> None:
    """How a dataset (CSV or JSON Lines) is read: ``--dataset-type``, the CSV header flags and
    ``--features-attribute``."""
    parser.add_argument(
        "--dataset-type",
        help="text/csv or application/jsonlines (also csv, jsonl; default: by file suffix, else content).",
    )
    _csv_header_flags(
        parser,
        "Column names of a header-less CSV; for JSON Lines with --features-attribute, the features' names "
        "(and the label's, last). Comma-separated.",
    )
    parser.add_argument(
        "--features-attribute",
        help="JSON Lines: path of each line's list of feature values (Clarify's 'features', e.g. features); "
        "--label is then the label's path.",
    )


def _baseline_parser(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=_baseline)
    parser.add_argument(
        "--dataset", required=True, help="CSV or JSON Lines file, or folder / S3 prefix of such files."
    )
    parser.add_argument("--output", required=True, help="Folder or S3 prefix for the baseline files.")
    parser.add_argument(
        "--monitors",
        help=f"Comma-separated, of {', '.join(MONITORS.cli_names)} "
        "(default: each one whose inputs are given).",
    )
    _dataset_layout_flags(parser)
    parser.add_argument("--label", help="The label column (never profiled for data quality).")
    parser.add_argument(
        "--exclude",
        help="Columns that are not model inputs (record keys, personal data), comma-separated: not profiled "
        "for data quality, not features of the bias flip test or of explainability.",
    )
    parser.add_argument(
        "--no-drift-check",
        help="Columns whose distribution is not compared with the baseline (e.g. the hour of day in hourly "
        "windows), comma-separated.",
    )
    parser.add_argument("--model", help="model.tar.gz of the fraud model (local or S3): scores the dataset.")
    parser.add_argument("--prediction-column", help="Predicted label (or value) column, instead of --model.")
    parser.add_argument("--probability-column", help="Predicted probability column, instead of --model.")
    parser.add_argument(
        "--label-values",
        default="1",
        help="Positive label value(s), comma-separated (default 1); model quality uses the first.",
    )
    parser.add_argument(
        "--model-quality-slack",
        type=float,
        default=0.0,
        help="Move every suggested model-quality threshold this much in the tolerant direction (default 0).",
    )
    parser.add_argument("--bias-config", help="Clarify's analysis_config.json for the bias baseline.")
    parser.add_argument("--facet", help="Sensitive column for the bias baseline (instead of --bias-config).")
    parser.add_argument("--facet-values", help="Facet values of the sensitive group (categorical facet).")
    parser.add_argument("--facet-threshold", type=number, help="Facet threshold (continuous facet: > it).")
    parser.add_argument("--group-variable", help="Group column for CDDL/CDDPL.")
    parser.add_argument("--explain-features", help="Features to explain (default: the model's inputs).")
    parser.add_argument(
        "--predictor",
        help="Clarify 'predictor' JSON file (local or S3) for both Clarify configs (default with --model: "
        "the endpoint contract's).",
    )
    parser.add_argument(
        "--no-predictor", action="store_true", help="Write the Clarify configs without a predictor."
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="Fail (exit 2, nothing written) on the dataset's warnings: no rows, a column typed String by a "
        "few bad values, an empty column, a column that looks like an identifier or personal data.",
    )
    parser.add_argument(
        "--background-rows",
        type=int,
        default=DEFAULT_BACKGROUND_ROWS,
        help="SHAP background rows sampled from the dataset (default %(default)s).",
    )
    _common(parser)


def _run_parser(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=_run)
    parser.add_argument(
        "--endpoint",
        help="Endpoint name (default: the stage export's EndpointName); for a dataset or a transform "
        "capture, the name its results are filed under (default: from its location).",
    )
    parser.add_argument("--capture", help="Endpoint data capture root (DestinationS3Uri), local or S3.")
    parser.add_argument(
        "--transform-capture",
        help="Batch transform data capture root (the transform job's DataCaptureConfig DestinationS3Uri).",
    )
    parser.add_argument(
        "--dataset", help="CSV or JSON Lines file, or folder / S3 prefix of such files: read whole."
    )
    _dataset_layout_flags(parser)
    parser.add_argument("--label", help="--dataset: the label column (labels for model quality and bias).")
    parser.add_argument("--prediction-column", help="--dataset: the predicted label (or value) column.")
    parser.add_argument("--probability-column", help="--dataset: the predicted probability column.")
    parser.add_argument(
        "--exclude", help="--dataset: columns that are not model inputs (not profiled), comma-separated."
    )
    parser.add_argument(
        "--variant",
        help="Production variant whose capture is read (default: every variant; naming it lists only the "
        "window's hour folders, much faster on a large bucket).",
    )
    parser.add_argument("--output", help="Output root for every monitor (default: the stage export's).")
    parser.add_argument("--start", help="Window start, ISO-8601 (with --end; default: the last full hour).")
    parser.add_argument("--end", help="Window end = the execution's scheduled time, ISO-8601.")
    parser.add_argument(
        "--monitors", help=f"Comma-separated, of {', '.join(MONITORS.cli_names)} (default: all)."
    )
    parser.add_argument(
        "--baseline",
        help="Folder written by `baseline`, or a DriftCheckBaselines JSON file (local or S3).",
    )
    for monitor in MONITORS.values():
        for spec in monitor.baseline_files:
            parser.add_argument(baseline_file_flag(monitor, spec), help=f"{spec.description} (local or S3).")
    parser.add_argument(
        "--stage-config", help="A stage export of get_baselines_and_configs.py to run as deployed."
    )
    parser.add_argument("--ground-truth", help="Ground truth root (GroundTruthInput), local or S3.")
    parser.add_argument("--start-offset", help="Model quality/bias capture window start, e.g. -P1D.")
    parser.add_argument("--end-offset", help="Model quality/bias capture window end, e.g. -PT1H.")
    parser.add_argument("--model", help="model.tar.gz to explain (exact tree SHAP).")
    parser.add_argument("--explain-endpoint", help="Endpoint WITHOUT data capture to explain (Kernel SHAP).")
    parser.add_argument(
        "--explain-max-records",
        type=int,
        default=DEFAULT_EXPLAIN_MAX_RECORDS,
        help="Explain a seeded uniform sample of at most this many records (default %(default)s).",
    )
    parser.add_argument(
        "--bias-tolerance",
        type=float,
        default=0.0,
        help="How much farther from balance than the baseline a bias metric may be (default 0, Clarify's).",
    )
    parser.add_argument(
        "--bias-di-rule",
        choices=[rule.value for rule in DisparateImpactRule],
        default=DisparateImpactRule.DISTANCE_FROM_ZERO.value,
        help="How bias drift measures Disparate Impact: its distance from 0 like every metric "
        "(default, the service's) or |log DI| (a ratio, balanced at 1); see docs/monitors/fidelity.md.",
    )
    parser.add_argument(
        "--engine",
        choices=[kind.value for kind in EngineKind],
        default=EngineKind.LOCAL.value,
        help="What reads the windows: local (this machine's cores, default) or spark (PySpark, "
        "requirements-spark.txt); see docs/monitors/engines.md.",
    )
    parser.add_argument(
        "--processes",
        type=int,
        help="Local engine: worker processes (default: the machine's cores).",
    )
    parser.add_argument(
        "--spark-master",
        help="Spark engine: the master URL (default: the running session's, else local[*]).",
    )
    parser.add_argument("--inference-attribute", help="Predicted label field of a response (default class).")
    parser.add_argument(
        "--probability-attribute", help="Probability field of a response (default probability)."
    )
    _common(parser)


def _report_parser(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=_report)
    parser.add_argument("source", help="Folder or S3 prefix holding execution folders (ours or SageMaker's).")
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        help="Baseline file or folder (repeatable; default: the ones each summary.json names).",
    )
    parser.add_argument("--html", help="Write the HTML report here (local or S3).")
    parser.add_argument("--last", type=int, help="Only the newest N executions of each schedule.")
    parser.add_argument("--region", help="AWS region for s3:// locations.")


def _capture_csv_parser(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=_capture_csv)
    parser.add_argument("--dataset", required=True, help="CSV file (local or S3); one request per row.")
    parser.add_argument("--capture", required=True, help="Data capture root to write under, local or S3.")
    parser.add_argument("--endpoint", required=True, help="Endpoint name of the capture folders.")
    parser.add_argument("--variant", default=DEFAULT_VARIANT, help="Variant folder (default %(default)s).")
    parser.add_argument(
        "--hour",
        help="Start of the captured hour, ISO-8601 (default: the last full hour, `run`'s default window).",
    )
    parser.add_argument(
        "--content-type",
        choices=[t.value for t in RequestContentType],
        default=RequestContentType.JSON.value,
        help="Requests as JSON objects keyed by column (default) or CSV lines in column order.",
    )
    parser.add_argument("--label", help="Label column: written as ground truth, left out of the requests.")
    parser.add_argument(
        "--ground-truth", help="Ground truth root for the labels (with --label), local or S3."
    )
    parser.add_argument(
        "--prediction-column", help="Predicted label column: written as the response's class."
    )
    parser.add_argument(
        "--probability-column", help="Predicted probability column: written as the response's probability."
    )
    parser.add_argument("--exclude", help="Columns left out of the requests, comma-separated.")
    _csv_header_flags(parser)
    parser.add_argument(
        "--region", help="AWS region for s3:// locations (default: AWS_REGION / the profile's)."
    )


_COMMANDS: dict[str, tuple[str, str, tuple[str, ...], Callable[[argparse.ArgumentParser], None]]] = {
    "baseline": (
        "Make the monitors' baseline files from a dataset.",
        "Profile a dataset (CSV or JSON Lines, local or S3) the way SageMaker's baselining jobs do and write "
        "each monitor's baseline files and drift_check_baselines.json. Data quality is always baselined; "
        "model quality needs --label and predictions, bias a facet, explainability --model. Warnings name "
        "columns that are probably not features (identifiers, personal data: give them to --exclude), "
        "typed String by a few bad values, or empty; --strict makes them errors.",
        (
            "--dataset train.csv --output ./baseline --exclude 'Transaction ID,Customer ID'",
            "--dataset s3://bucket/validation.csv --output s3://bucket/baseline --label 'Is Fraudulent' "
            "--probability-column 'Fraud Probability' --strict",
        ),
        _baseline_parser,
    ),
    "run": (
        "Run the monitors on one window of data capture (endpoint or transform) or on a dataset.",
        "Read one window of an endpoint's data capture (--capture) or a batch transform's "
        "(--transform-capture), with ground truth, or a whole dataset (--dataset, labels and predictions in "
        "its columns), check it against the baselines and write Model Monitor's result files and "
        "summary.json per monitor. Exit 0: no violations; 1: violations or a failed monitor; 2: a problem "
        "with the inputs (one error line each).",
        (
            "--endpoint my-endpoint --capture ./capture --baseline ./baseline --output ./results "
            "--start 2026-11-29T13:00:00Z --end 2026-11-29T14:00:00Z --monitors data-quality",
            "--dataset scored.csv --baseline ./baseline --output ./results --label 'Is Fraudulent' "
            "--probability-column 'Fraud Probability'",
        ),
        _run_parser,
    ),
    "report": (
        "Summarise executions in the terminal and as HTML.",
        "Read the executions under a folder or S3 prefix (ours or SageMaker Model Monitor's) and summarise "
        "them: per monitor the latest status, the worst violations and what to check next, trends across "
        "executions. Exit 1 when the latest execution of a monitor has violations.",
        (
            "./results --html report.html",
            "s3://bucket/monitoring/my-endpoint --baseline ./baseline --last 24 --html s3://bucket/report.html",
        ),
        _report_parser,
    ),
    "capture-csv": (
        "Write a CSV's rows as data capture (and its labels as ground truth).",
        "Turn each row of a CSV into one captured request, as an endpoint with data capture writes it, so "
        "that `run` can check another dataset against a baseline (docs/monitors/formats.md#data-capture).",
        (
            "--dataset new.csv --capture ./capture --endpoint my-endpoint --hour 2026-11-29T13:00:00Z",
            "--dataset new.csv --capture ./capture --endpoint my-endpoint --label 'Is Fraudulent' "
            "--ground-truth ./ground-truth --probability-column 'Fraud Probability'",
        ),
        _capture_csv_parser,
    ),
}


# -- baseline ------------------------------------------------------------------------------------------------
def baseline_options(
    args: argparse.Namespace, bias_config: Any, problems: list[str], predictor: Any = None
) -> BaselineOptions:
    """The ``baseline`` flags as options; problems are appended, one line each.

    ``predictor`` is the ``--predictor`` file's content; without one, ``--model`` means the endpoint
    contract's predictor (the fraud model is served with it), unless ``--no-predictor``.
    """
    if args.predictor is not None and args.no_predictor:
        problems.append("give --predictor or --no-predictor, not both")
    if args.predictor is None and not args.no_predictor and args.model is not None:
        predictor = contract_predictor()
    _non_negative(args.probability_threshold, "--probability-threshold", problems)
    _non_negative(args.model_quality_slack, "--model-quality-slack", problems)
    if args.background_rows < 1:
        problems.append(f"--background-rows is {args.background_rows}: expected at least 1")
    if args.bias_config is not None and args.facet is not None:
        problems.append("give --bias-config or --facet, not both")
    if args.facet is not None and args.facet_values is None and args.facet_threshold is None:
        problems.append(f"--facet {args.facet!r} needs --facet-values or --facet-threshold")
    if args.facet is None and (args.facet_values is not None or args.facet_threshold is not None):
        problems.append("--facet-values and --facet-threshold need --facet")
    label_values = _names(args.label_values) or ()
    if not label_values:
        problems.append("--label-values is empty: give the positive label value(s), e.g. 1")
    return BaselineOptions(
        monitors=_baseline_monitors(args.monitors, problems),
        dataset_format=_dataset_format(args.dataset_type, problems),
        features_attribute=args.features_attribute,
        has_header=args.header,
        headers=_names(args.headers),
        label=args.label,
        exclude=_names(args.exclude) or (),
        no_drift_check=_names(args.no_drift_check) or (),
        prediction_column=args.prediction_column,
        probability_column=args.probability_column,
        problem_type=ProblemType(args.problem_type) if args.problem_type else ProblemType.BINARY,
        probability_threshold=(
            DEFAULT_PROBABILITY_THRESHOLD_PCT
            if args.probability_threshold is None
            else args.probability_threshold
        ),
        model_quality_slack=args.model_quality_slack,
        label_values=label_values or ("1",),
        bias_config=bias_config,
        bias_config_where=args.bias_config or "bias options",
        facet=args.facet,
        facet_values=_names(args.facet_values),
        facet_threshold=args.facet_threshold,
        group_variable=args.group_variable,
        explain_features=_names(args.explain_features),
        background_rows=args.background_rows,
        predictor=None if args.no_predictor else predictor,
        predictor_where=f"--predictor {args.predictor}" if args.predictor else "predictor",
        strict=args.strict,
    )


def _baseline(args: argparse.Namespace) -> int:
    clients = _Aws(args.region)
    storage = clients.storage([args.dataset, args.output, args.model, args.bias_config, args.predictor])
    problems: list[str] = []
    bias_config = (
        collect_problems(problems, lambda: storage.read_json(args.bias_config)) if args.bias_config else None
    )
    predictor = (
        collect_problems(problems, lambda: storage.read_json(args.predictor)) if args.predictor else None
    )
    options = baseline_options(args, bias_config, problems, predictor)
    if problems:
        raise UsageError(problems)
    model = fraud_model(args.model, storage) if args.model else None
    result = make_baselines(storage, args.dataset, args.output, options, model)
    sys.stdout.write(render_baselines(result, args.dataset, flag_of))
    for warning in result.warnings:
        print(f"warning: {show(warning, flag_of)}", file=sys.stderr)
    return 0


# -- run -----------------------------------------------------------------------------------------------------
def run_options(args: argparse.Namespace, problems: list[tuple[Setting, str]]) -> RunOptions:
    """The ``run`` flags as typed options; problems of flags that do not parse are appended, one line each,
    with the setting they give (problems are reported in ``SETTINGS_ORDER``)."""
    found: list[str] = []
    execution_window = collect_problems(found, lambda: window(args.start, args.end))
    problems += [(Setting.WINDOW, p) for p in found]
    found = []
    monitors = _monitors(args.monitors, found)
    problems += [(Setting.MONITORS, p) for p in found]
    offsets: dict[Setting, timedelta | None] = {}
    for name, text, flag in (
        (Setting.START_OFFSET, args.start_offset, "--start-offset"),
        (Setting.END_OFFSET, args.end_offset, "--end-offset"),
    ):
        offsets[name] = None
        if text:
            try:
                offsets[name] = parse_duration(text, what=flag)
            except UserError as error:
                problems += [(name, p) for p in error.problems]
    explainer = None
    if args.model is not None or args.explain_endpoint is not None:
        explainer = ExplainerSpec(model=args.model, endpoint=args.explain_endpoint)
    found = []
    dataset_format = _dataset_format(args.dataset_type, found)
    problems += [(Setting.DATASET_TYPE, p) for p in found]
    return RunOptions(
        capture=args.capture,
        transform_capture=args.transform_capture,
        dataset=args.dataset,
        dataset_layout=DatasetLayout(
            format=dataset_format,
            has_header=args.header,
            headers=_names(args.headers),
            features_attribute=args.features_attribute,
        ),
        dataset_columns=DatasetColumns(
            label=args.label,
            prediction=args.prediction_column,
            probability=args.probability_column,
            exclude=_names(args.exclude) or (),
        ),
        window=execution_window or last_full_hour(),  # a window that does not parse is reported above
        endpoint=args.endpoint,
        variant=args.variant,
        output=args.output,
        monitors=monitors,
        baseline=args.baseline,
        baseline_files=_given_files(args),
        ground_truth=args.ground_truth,
        start_offset=offsets[Setting.START_OFFSET],
        end_offset=offsets[Setting.END_OFFSET],
        problem_type=ProblemType(args.problem_type) if args.problem_type else None,
        probability_threshold=args.probability_threshold,
        inference_attribute=args.inference_attribute,
        probability_attribute=args.probability_attribute,
        explainer=explainer,
        explain_max_records=args.explain_max_records,
        bias_tolerance=args.bias_tolerance,
        bias_di_rule=DisparateImpactRule(args.bias_di_rule),
        engine=EngineSpec(EngineKind(args.engine), args.processes, spark_master=args.spark_master),
    )


def _given_files(args: argparse.Namespace) -> dict[MonitorType, BaselineFiles]:
    """The per-file baseline flags (``--bias-config`` ...) of each monitor."""
    return {
        monitor.type: BaselineFiles.of(
            {
                spec.file.key: value
                for spec in monitor.baseline_files
                if (value := getattr(args, _dest(baseline_file_flag(monitor, spec)))) is not None
            }
        )
        for monitor in MONITORS.values()
    }


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def run_locations(options: RunOptions, export: StageExport | None) -> list[str | None]:
    """Every location a run may read or write (an S3 one needs a client)."""
    return [
        options.capture,
        options.transform_capture,
        options.dataset,
        options.output,
        options.ground_truth,
        options.baseline,
        options.explainer.model if options.explainer else None,
        *(f for files in options.baseline_files.values() for f in files.locations),
        *(export.parameters.values() if export else ()),
    ]


def _run(args: argparse.Namespace) -> int:
    clients = _Aws(args.region)
    export = None
    if args.stage_config is not None:
        document = clients.storage([args.stage_config]).read_json(args.stage_config)
        export = StageExport.from_json(document, where=args.stage_config)
    flag_problems: list[tuple[Setting, str]] = []
    options = run_options(args, flag_problems)
    problems = [(SETTINGS_ORDER.index(name), problem) for name, problem in flag_problems]
    found: list[str] = []
    storage = collect_problems(found, lambda: clients.storage(run_locations(options, export)))
    resolved = None
    if storage is not None:
        try:
            resolved = resolve_run_settings(options, export, storage)
        except SettingsError as error:
            found += error.problems
    problems += [(settings_rank(problem), problem) for problem in found]
    if problems:
        raise UsageError([problem for _, problem in sorted(problems, key=lambda ranked: ranked[0])])
    assert storage is not None
    assert resolved is not None
    explainer = load_explainer(resolved.explainer, storage, clients.runtime)
    result = run_execution(storage, resolved.settings, explainer, name_setting=flag_of)
    sys.stdout.write(render_execution(result))
    if result.user_errors:
        raise RunInputError(result.user_errors)
    return result.exit_code


def run_argv(options: RunOptions, stage_export: str | None = None) -> list[str]:
    """The ``run`` command line that asks for ``options`` (what the sandbox shows for each of its runs)."""
    argv = ["run"]

    def add(flag: str, value: object) -> None:
        if value is not None:
            argv.extend([flag, str(value)])

    add("--stage-config", stage_export)
    add("--endpoint", options.endpoint)
    add("--capture", options.capture)
    add("--transform-capture", options.transform_capture)
    add("--dataset", options.dataset)
    layout, columns = options.dataset_layout, options.dataset_columns
    add("--dataset-type", layout.format)
    if layout.has_header is not None:
        argv.append("--header" if layout.has_header else "--no-header")
    add("--headers", None if layout.headers is None else ",".join(layout.headers))
    add("--features-attribute", layout.features_attribute)
    add("--label", columns.label)
    add("--prediction-column", columns.prediction)
    add("--probability-column", columns.probability)
    add("--exclude", ",".join(columns.exclude) or None)
    add("--output", options.output)
    if options.explainer is not None:
        add("--model", options.explainer.model)
        add("--explain-endpoint", options.explainer.endpoint)
    add("--variant", options.variant)
    if options.monitors is not None:
        add("--monitors", ",".join(MONITORS[m].cli_name for m in options.monitors))
    add("--start", format_utc(options.window.start))
    add("--end", format_utc(options.window.end))
    add("--baseline", options.baseline)
    for monitor in MONITORS.values():
        files = options.baseline_files.get(monitor.type, BaselineFiles())
        for spec in monitor.baseline_files:
            add(baseline_file_flag(monitor, spec), files.get(spec.file))
    add("--ground-truth", options.ground_truth)
    add("--start-offset", None if options.start_offset is None else format_duration(options.start_offset))
    add("--end-offset", None if options.end_offset is None else format_duration(options.end_offset))
    add("--problem-type", options.problem_type)
    add("--probability-threshold", options.probability_threshold)
    add("--inference-attribute", options.inference_attribute)
    add("--probability-attribute", options.probability_attribute)
    if options.explain_max_records != DEFAULT_EXPLAIN_MAX_RECORDS:
        add("--explain-max-records", options.explain_max_records)
    if options.bias_tolerance:
        add("--bias-tolerance", options.bias_tolerance)
    if options.bias_di_rule is not DisparateImpactRule.DISTANCE_FROM_ZERO:
        add("--bias-di-rule", options.bias_di_rule.value)
    if options.engine.kind is not EngineKind.LOCAL:
        add("--engine", options.engine.kind.value)
    add("--processes", options.engine.processes)
    add("--spark-master", options.engine.spark_master)
    return argv


# -- capture-csv ---------------------------------------------------------------------------------------------
def _capture_csv(args: argparse.Namespace) -> int:
    hour = parse_utc(args.hour, what="--hour") if args.hour else last_full_hour().start
    options = CsvCaptureOptions(
        endpoint=args.endpoint,
        hour=hour,
        variant=args.variant,
        content_type=RequestContentType(args.content_type),
        label=args.label,
        prediction_column=args.prediction_column,
        probability_column=args.probability_column,
        exclude=_names(args.exclude) or (),
        has_header=args.header,
        headers=_names(args.headers),
    )
    storage = _Aws(args.region).storage([args.dataset, args.capture, args.ground_truth])
    written = write_csv_capture(storage, args.dataset, args.capture, options, args.ground_truth)
    lines = [
        f"{written.requests} requests of {args.endpoint} in {written.window}: {written.capture_file}",
        f"  request columns: {', '.join(written.request_columns)}",
    ]
    if written.ground_truth_file:
        lines.append(f"  {written.labels} labels: {written.ground_truth_file}")
    ground_truth = f" --ground-truth {args.ground_truth}" if written.ground_truth_file else ""
    lines.append(
        f"check it: {PROG} run --endpoint {args.endpoint} --capture {args.capture} "
        f"--start {format_utc(written.window.start)} --end {format_utc(written.window.end)}{ground_truth} "
        "--baseline BASELINE --output RESULTS"
    )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


# -- report --------------------------------------------------------------------------------------------------
def _report(args: argparse.Namespace) -> int:
    from pipelines.monitoring.report import render_report, render_terminal

    if args.last is not None and args.last < 1:
        raise UsageError(f"--last is {args.last}: expected a positive number of executions")
    storage = _Aws(args.region).storage([args.source, args.html, *args.baseline])
    summary = render_report(
        args.source, baseline=args.baseline or None, html_out=args.html, storage=storage, last=args.last
    )
    sys.stdout.write(render_terminal(summary.report, html_location=summary.html_location))
    return 1 if summary.has_violations else 0


# -- entry point ---------------------------------------------------------------------------------------------
# Offsets into the past start with "-" (``-P1D``): argparse takes such a value for an unknown flag, so
# ``--start-offset -P1D`` is read as ``--start-offset=-P1D``.
_OFFSET_FLAGS = ("--start-offset", "--end-offset")


def attach_offsets(argv: Sequence[str]) -> list[str]:
    """``argv`` with each offset flag joined to a following ``-P...`` value."""
    joined: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else ""
        if token in _OFFSET_FLAGS and following.upper().startswith("-P"):
            joined.append(f"{token}={following}")
            index += 2
        else:
            joined.append(token)
            index += 1
    return joined


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(attach_offsets(sys.argv[1:] if argv is None else argv))
    configure_logging(args.log_level)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


def main(argv: Sequence[str] | None = None) -> int:
    """The command; returns its exit status (0 fine, 1 violations or a failed monitor, 2 user error)."""
    return run(_main, argv, name_setting=flag_of)
