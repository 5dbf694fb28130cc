"""``python -m pipelines.monitoring`` (console script ``fraud-monitor``): the portable monitors' command line.

- ``baseline``: a dataset (CSV, local or S3) -> the four monitors' baseline files
  (``pipelines.monitoring.baseline``);
- ``run``: one endpoint, one window of data capture -> Model Monitor's result files
  (``pipelines.monitoring.execution``); exit 0 without violations, 1 with violations or a failed monitor;
- ``report``: results of one or many executions -> terminal summary and HTML
  (``pipelines.monitoring.report``).

Every user mistake exits 2 with one ``error:`` line per problem (``pipelines.cli.run``); flag problems are
collected and reported together. AWS clients are created only when an ``s3://`` location (or an endpoint to
explain) is used.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pipelines import aws
from pipelines.cli import LOG_LEVELS, configure_logging, run
from pipelines.deploy.monitors import MONITORS, MonitorType
from pipelines.deploy.stage_config import END_OFFSET, START_OFFSET
from pipelines.errors import UserError
from pipelines.monitoring.baseline import BaselineOptions, BaselineSet, contract_predictor, make_baselines
from pipelines.monitoring.bias import DisparateImpactRule
from pipelines.monitoring.capture_reader import ResponseFields
from pipelines.monitoring.execution import (
    BASELINE_FLAGS,
    DEFAULT_EXPLAIN_MAX_RECORDS,
    BaselineFiles,
    ExecutionResult,
    Explainer,
    RunInputError,
    RunSettings,
    StageExport,
    attribute_name,
    baseline_files_at,
    run_execution,
)
from pipelines.monitoring.explainability.model import ProbabilityModel
from pipelines.monitoring.explainability.monitor import DEFAULT_BACKGROUND_ROWS
from pipelines.monitoring.model_quality import ProblemType
from pipelines.s3uri import is_s3_uri
from pipelines.storage import Storage
from pipelines.timewindow import parse_duration, window

log = logging.getLogger(__name__)
T = TypeVar("T")

PROG = "fraud-monitor"
MONITOR_NAMES: dict[str, MonitorType] = {
    "data-quality": MonitorType.DATA_QUALITY,
    "model-quality": MonitorType.MODEL_QUALITY,
    "bias": MonitorType.MODEL_BIAS,
    "explainability": MonitorType.MODEL_EXPLAINABILITY,
}
BASELINE_FILE_HELP = {
    "--data-quality-statistics": "Data-quality statistics.json",
    "--data-quality-constraints": "Data-quality constraints.json",
    "--model-quality-constraints": "Model-quality constraints.json",
    "--bias-config": "Clarify bias analysis_config.json",
    "--bias-constraints": "Clarify post-training bias analysis.json",
    "--explainability-config": "Clarify explainability analysis_config.json",
    "--explainability-constraints": "Clarify explainability analysis.json",
}
MAX_SHOWN_VIOLATIONS = 5
MAX_SHOWN_INPUT_PROBLEMS = 5


class UsageError(UserError):
    """Flags that are missing, malformed or contradict each other."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is a ``UsageError`` (one ``error:`` line, exit 2) instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


# -- small parsers -------------------------------------------------------------------------------------------
def _names(text: str | None) -> tuple[str, ...] | None:
    """``a,b , c`` -> ``("a", "b", "c")``; None stays None."""
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _monitors(text: str | None, problems: list[str]) -> frozenset[MonitorType] | None:
    names = _names(text)
    if names is None:
        return None
    lookup = {**MONITOR_NAMES, **{m.value.lower(): m for m in MonitorType}}
    unknown = [n for n in names if n.lower() not in lookup]
    if not names:
        problems.append(f"--monitors is empty: give some of {', '.join(MONITOR_NAMES)}")
        return None
    if unknown:
        problems.append(
            f"--monitors {text!r}: {', '.join(map(repr, unknown))} is not one of {', '.join(MONITOR_NAMES)}"
        )
        return None
    return frozenset(lookup[n.lower()] for n in names)


def number(text: str) -> int | float:
    """Integers stay integers: Clarify prints the threshold 50 as ``(50, 80]``, not ``(50.0, 80]``."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _collect(problems: list[str], make: Callable[[], T]) -> T | None:
    """``make()``, or None with its user error's lines added to ``problems``."""
    try:
        return make()
    except UserError as error:
        problems.extend(error.problems)
        return None


def _non_negative(value: float | None, flag: str, problems: list[str]) -> None:
    if value is not None and not value >= 0:  # NaN fails too
        problems.append(f"{flag} is {value}: expected a non-negative number")


class _Aws:
    """Clients on demand: an S3 client only when a location is on S3, created once."""

    def __init__(self, region: str | None) -> None:
        self._region = region
        self._session: Any = None
        self._s3: Any = None

    def _aws_session(self) -> Any:
        if self._session is None:
            self._session = aws.session(self._region)
        return self._session

    def storage(self, locations: Iterable[str | None]) -> Storage:
        if self._s3 is None and any(loc is not None and is_s3_uri(loc) for loc in locations):
            self._s3 = aws.client("s3", self._aws_session())
        return Storage(self._s3)

    def runtime(self) -> Any:
        return aws.client("sagemaker-runtime", self._aws_session())


def _fraud_model(location: str, storage: Storage) -> ProbabilityModel:
    # Imported here: xgboost takes seconds to import, and only these paths need it.
    from pipelines.model import FraudModel

    return FraudModel.from_artifact(storage.read_bytes(location), where=location)


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
    commands = parser.add_subparsers(dest="command", required=True, metavar="{baseline,run,report}")
    _baseline_parser(
        commands.add_parser("baseline", help="Make the monitors' baseline files from a dataset.")
    )
    _run_parser(
        commands.add_parser("run", help="Run the monitors on one window of an endpoint's data capture.")
    )
    _report_parser(commands.add_parser("report", help="Summarise executions in the terminal and as HTML."))
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


def _baseline_parser(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=_baseline)
    parser.add_argument("--dataset", required=True, help="CSV file, or folder / S3 prefix of CSV files.")
    parser.add_argument("--output", required=True, help="Folder or S3 prefix for the baseline files.")
    parser.add_argument(
        "--monitors",
        help=f"Comma-separated, of {', '.join(MONITOR_NAMES)} (default: each one whose inputs are given).",
    )
    parser.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Whether the first row is a header (default: detect).",
    )
    parser.add_argument("--headers", help="Column names for a header-less CSV, comma-separated.")
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
        "--background-rows",
        type=int,
        default=DEFAULT_BACKGROUND_ROWS,
        help="SHAP background rows sampled from the dataset (default %(default)s).",
    )
    _common(parser)


def _run_parser(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(handler=_run)
    parser.add_argument("--endpoint", help="Endpoint name (default: the stage export's EndpointName).")
    parser.add_argument("--capture", required=True, help="Data capture root (DestinationS3Uri), local or S3.")
    parser.add_argument(
        "--variant",
        help="Production variant whose capture is read (default: every variant; naming it lists only the "
        "window's hour folders, much faster on a large bucket).",
    )
    parser.add_argument("--output", help="Output root for every monitor (default: the stage export's).")
    parser.add_argument("--start", help="Window start, ISO-8601 (with --end; default: the last full hour).")
    parser.add_argument("--end", help="Window end = the execution's scheduled time, ISO-8601.")
    parser.add_argument("--monitors", help=f"Comma-separated, of {', '.join(MONITOR_NAMES)} (default: all).")
    parser.add_argument(
        "--baseline",
        help="Folder written by `baseline`, or a DriftCheckBaselines JSON file (local or S3).",
    )
    for flags in BASELINE_FLAGS.values():
        for flag in flags.values():
            parser.add_argument(flag, help=f"{BASELINE_FILE_HELP[flag]} (local or S3).")
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
        monitors=_monitors(args.monitors, problems),
        has_header=args.header,
        headers=_names(args.headers),
        label=args.label,
        exclude=_names(args.exclude) or (),
        no_drift_check=_names(args.no_drift_check) or (),
        prediction_column=args.prediction_column,
        probability_column=args.probability_column,
        problem_type=ProblemType(args.problem_type) if args.problem_type else ProblemType.BINARY,
        probability_threshold=50.0 if args.probability_threshold is None else args.probability_threshold,
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
    )


def _baseline(args: argparse.Namespace) -> int:
    clients = _Aws(args.region)
    storage = clients.storage([args.dataset, args.output, args.model, args.bias_config, args.predictor])
    problems: list[str] = []
    bias_config = (
        _collect(problems, lambda: storage.read_json(args.bias_config)) if args.bias_config else None
    )
    predictor = _collect(problems, lambda: storage.read_json(args.predictor)) if args.predictor else None
    options = baseline_options(args, bias_config, problems, predictor)
    if problems:
        raise UsageError(problems)
    model = _fraud_model(args.model, storage) if args.model else None
    result = make_baselines(storage, args.dataset, args.output, options, model)
    sys.stdout.write(render_baselines(result, args.dataset))
    return 0


def render_baselines(result: BaselineSet, dataset: str) -> str:
    lines = [f"Baselines of {dataset} ({result.rows} rows):"]
    for monitor in MonitorType:
        if monitor in result.written:
            lines.append(f"  {monitor.value:<20} {', '.join(result.written[monitor])}")
        elif monitor in result.skipped:
            lines.append(f"  {monitor.value:<20} not made: {result.skipped[monitor]}")
    lines.append(f"DriftCheckBaselines: {result.location}")
    return "\n".join(lines) + "\n"


# -- run -----------------------------------------------------------------------------------------------------
def _given_files(args: argparse.Namespace) -> dict[MonitorType, BaselineFiles]:
    """The per-file baseline flags (``--bias-config`` ...) of each monitor."""
    return {
        monitor: BaselineFiles(**{key: getattr(args, _dest(flag)) for key, flag in flags.items()})
        for monitor, flags in BASELINE_FLAGS.items()
    }


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def run_settings(
    args: argparse.Namespace, export: StageExport | None, clients: _Aws
) -> tuple[RunSettings, Explainer | None, Storage]:
    """The ``run`` flags (over a stage export's values) as settings; every problem is reported at once."""
    problems: list[str] = []
    endpoint = args.endpoint or (export.endpoint if export else None)
    if endpoint is None:
        problems.append("--endpoint is required (or a --stage-config with an EndpointName)")
    elif export is not None and export.endpoint and args.endpoint and export.endpoint != args.endpoint:
        problems.append(
            f"--endpoint {args.endpoint!r} differs from {export.where}'s EndpointName {export.endpoint!r}"
        )
    execution_window = _collect(problems, lambda: window(args.start, args.end))
    monitors, disabled = _selected_monitors(args, export, problems)
    outputs = _outputs(args, export, monitors, problems)
    _check_run_flags(args, export, problems)
    start_offset = _offset(args.start_offset, "--start-offset", export, START_OFFSET, problems)
    end_offset = _offset(args.end_offset, "--end-offset", export, END_OFFSET, problems)
    problem_type = (
        ProblemType(args.problem_type)
        if args.problem_type
        else _collect(problems, lambda: export.problem_type if export else None)
    )
    threshold = (
        args.probability_threshold
        if args.probability_threshold is not None
        else _collect(problems, lambda: export.probability_threshold if export else None)
    )
    fields = _collect(problems, lambda: _response_fields(args, export)) or ResponseFields()
    ground_truth = args.ground_truth or (export.ground_truth if export else None)

    given = _given_files(args)
    located = [f for files in given.values() for f in _locations(files)]
    if export is not None:
        located += [f for m in MonitorType for f in _locations(export.baseline(m))]
    storage = _collect(
        problems,
        lambda: clients.storage(
            [args.capture, *outputs.values(), ground_truth, args.baseline, args.model, *located]
        ),
    )
    baselines = _baselines(args, export, given, storage, problems) if storage is not None else given
    if problems:
        raise UsageError(problems)
    assert endpoint is not None
    assert execution_window is not None
    assert storage is not None

    explainer = None
    if args.model is not None:
        explainer = Explainer(f"model {args.model}", lambda: _fraud_model(args.model, storage))
    elif args.explain_endpoint is not None:
        explainer = Explainer(
            f"endpoint {args.explain_endpoint}", lambda: _endpoint_model(clients, args.explain_endpoint)
        )
    settings = RunSettings(
        endpoint=endpoint,
        capture_root=args.capture,
        outputs=outputs,
        window=execution_window,
        monitors=monitors,
        explicit=args.monitors is not None,
        baselines=baselines,
        ground_truth=ground_truth,
        start_offset=start_offset,
        end_offset=end_offset,
        problem_type=problem_type,
        probability_threshold=threshold,
        response_fields=fields,
        variant=args.variant,
        explain_max_records=args.explain_max_records,
        bias_tolerance=args.bias_tolerance,
        bias_di_rule=DisparateImpactRule(args.bias_di_rule),
        disabled=disabled,
    )
    return settings, explainer, storage


def _selected_monitors(
    args: argparse.Namespace, export: StageExport | None, problems: list[str]
) -> tuple[tuple[MonitorType, ...], dict[MonitorType, str]]:
    """``--monitors``, else the ones the stage export enables (the others are disabled), else all four."""
    selected = _monitors(args.monitors, problems)
    disabled: dict[MonitorType, str] = {}
    if selected is None and export is not None:
        selected = frozenset(m for m in MonitorType if export.enabled(m))
        disabled = {
            m: f"disabled in {export.where} (Enable{m.value}Monitor)"
            for m in MonitorType
            if m not in selected
        }
    return tuple(m for m in MonitorType if selected is None or m in selected), disabled


def _outputs(
    args: argparse.Namespace, export: StageExport | None, monitors: Sequence[MonitorType], problems: list[str]
) -> dict[MonitorType, str]:
    """``--output`` for every monitor, else each monitor's MonitoringOutputS3Uri from the stage export."""
    outputs: dict[MonitorType, str] = {}
    for monitor in monitors:
        output = args.output or (export.output(monitor) if export else None)
        if output is None:
            where = f": {export.where} has no {MONITORS[monitor].output_parameter}" if export else ""
            problems.append(f"--output is required{where}")
            break
        outputs[monitor] = output
    return outputs


def _check_run_flags(args: argparse.Namespace, export: StageExport | None, problems: list[str]) -> None:
    if not is_s3_uri(args.capture) and not Path(args.capture).is_dir():
        problems.append(f"--capture {args.capture}: no such folder (expected the data capture root)")
    if args.baseline is not None and export is not None:
        problems.append("give --baseline or --stage-config, not both (per-file flags may override either)")
    if args.model is not None and args.explain_endpoint is not None:
        problems.append("give --model or --explain-endpoint, not both")
    if args.explain_max_records < 1:
        problems.append(f"--explain-max-records is {args.explain_max_records}: expected at least 1")
    _non_negative(args.probability_threshold, "--probability-threshold", problems)
    _non_negative(args.bias_tolerance, "--bias-tolerance", problems)


def _offset(
    text: str | None, flag: str, export: StageExport | None, parameter: str, problems: list[str]
) -> timedelta | None:
    if text:
        return _collect(problems, lambda: parse_duration(text, what=flag))
    return _collect(problems, lambda: export.offset(parameter) if export else None)


def _baselines(
    args: argparse.Namespace,
    export: StageExport | None,
    given: dict[MonitorType, BaselineFiles],
    storage: Storage,
    problems: list[str],
) -> dict[MonitorType, BaselineFiles]:
    """Per-file flags first, then the ``--baseline`` folder's files, then the stage export's."""
    baselines = dict(given)
    if args.baseline is not None:
        in_folder = _collect(problems, lambda: baseline_files_at(storage, args.baseline)) or {}
        if in_folder and not any(_locations(files) for files in in_folder.values()):
            problems.append(
                f"--baseline {args.baseline}: no baseline files in it (expected the layout `baseline` "
                "writes, e.g. data-quality/statistics.json, or a drift_check_baselines.json)"
            )
        baselines = {m: baselines[m].merged_with(in_folder.get(m, BaselineFiles())) for m in MonitorType}
    if export is not None:
        baselines = {m: baselines[m].merged_with(export.baseline(m)) for m in MonitorType}
    return baselines


def _locations(files: BaselineFiles) -> list[str]:
    """The locations of the files that are given."""
    return [f for f in (files.statistics, files.constraints, files.config) if f]


def _response_fields(args: argparse.Namespace, export: StageExport | None) -> ResponseFields:
    base = export.response_fields if export is not None else ResponseFields()
    label = attribute_name(args.inference_attribute, what="--inference-attribute")
    probability = attribute_name(args.probability_attribute, what="--probability-attribute")
    return ResponseFields(label or base.label, probability or base.probability)


def _endpoint_model(clients: _Aws, endpoint: str) -> ProbabilityModel:
    from pipelines.monitoring.explainability import EndpointModel

    return EndpointModel(clients.runtime(), endpoint)


def _run(args: argparse.Namespace) -> int:
    clients = _Aws(args.region)
    export = None
    if args.stage_config is not None:
        document = clients.storage([args.stage_config]).read_json(args.stage_config)
        export = StageExport.from_json(document, where=args.stage_config)
    settings, explainer, storage = run_settings(args, export, clients)
    result = run_execution(storage, settings, explainer)
    sys.stdout.write(render_execution(result))
    if result.user_errors:
        raise RunInputError(result.user_errors)
    return result.exit_code


def render_execution(result: ExecutionResult) -> str:
    """Per monitor: status, records, violations (the first few) and where the files went."""
    settings = result.settings
    lines = [f"Endpoint {settings.endpoint}, window {settings.window}:"]
    input_problems: dict[str, None] = {}
    unreadable = 0
    for outcome in result.outcomes:
        summary = outcome.summary
        header = f"  {summary.monitor.value:<20} {summary.status.value}"
        counts = _counts(summary.inputs)
        if counts:
            header += f"  {counts}"
        if summary.violations:
            header += f", {len(summary.violations)} violation{'s' if len(summary.violations) != 1 else ''}"
        lines.append(header)
        if summary.reason:
            lines.append(f"    {summary.reason}")
        for violation in summary.violations[:MAX_SHOWN_VIOLATIONS]:
            check, description = violation.get("constraint_check_type"), violation.get("description")
            lines.append(f"    - {check} {_subject(violation)}: {description}")
        if len(summary.violations) > MAX_SHOWN_VIOLATIONS:
            more = len(summary.violations) - MAX_SHOWN_VIOLATIONS
            lines.append(f"    ... and {more} more in constraint_violations.json")
        lines.append(f"    -> {outcome.folder}")
        unreadable = max(unreadable, int(summary.inputs.get("unreadable_lines", 0)))
        input_problems.update(dict.fromkeys(summary.input_problems))
    for monitor, reason in settings.disabled.items():
        lines.append(f"  {monitor.value:<20} not run: {reason}")
    if input_problems:
        lines.append(f"Input problems ({unreadable} unreadable capture lines; see summary.json):")
        lines += [f"  {problem}" for problem in list(input_problems)[:MAX_SHOWN_INPUT_PROBLEMS]]
    return "\n".join(lines) + "\n"


def _counts(inputs: Any) -> str:
    if not inputs:
        return ""
    text = f"{inputs.get('records', 0)} records"
    if "ground_truth_matched" in inputs:
        text += f" ({inputs['ground_truth_matched']} with ground truth)"
    if "records_explained" in inputs:
        text += f" ({inputs['records_explained']} explained)"
    return text


def _subject(violation: Any) -> str:
    if "feature_name" in violation:
        return str(violation["feature_name"])
    if "facet" in violation:
        return f"{violation.get('metric_name')} {violation['facet']}={violation.get('facet_value')}"
    return str(violation.get("metric_name") or violation.get("label") or "")


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
    return run(_main, argv)
