"""Upload your own labels: a CSV of transaction IDs and fraud labels -> Model Monitor's ground-truth files.

    python -m pipelines.labels --input labels.csv \\
        --ground-truth-uri s3://my-monitoring-bucket/ground-truth/fraud-detection-prod

Each valid row becomes one ground-truth line (``pipelines.ground_truth``) whose ``eventId`` is the
Transaction ID: the Lambda sends that ID as the request's InferenceId, which is what Model Monitor joins
labels on (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html). The lines
go to ``{ground-truth-uri}/yyyy/mm/dd/hh/labels-<digest>.jsonl`` for the hour the labels were collected
(``--collected-at``, default now); the file name is a digest of its content, so uploading the same labels
twice writes the same file once. Rows that cannot be used are reported (line number, value, what is allowed)
and written, with the reason, to a rejected-rows CSV; nothing is dropped silently.

Exit status: 0 when every row was used, 1 when some rows were rejected, 2 for a problem that stops the
upload (missing file or column, bad flag).
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from transaction_scoring import contract

from pipelines.cli import LOG_LEVELS, configure_logging, run
from pipelines.errors import UserError
from pipelines.ground_truth import GroundTruthRecord, ground_truth_file_key
from pipelines.jsonio import content_digest
from pipelines.s3uri import S3Uri, is_s3_uri
from pipelines.storage import Storage, join_location
from pipelines.timewindow import format_utc, parse_utc, utc_now

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

# The ID is matched against InvokeEndpoint's InferenceId: 1 to 64 characters
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html).
MAX_EVENT_ID_LENGTH = 64
ALLOWED_LABELS: tuple[str, ...] = ("0", "1")
REASON_COLUMN = "Rejection Reason"
_SHOWN_PROBLEMS = 20


class LabelFileError(UserError):
    """A labels file that cannot be used at all (unreadable, no header, a needed column missing)."""


@dataclass(frozen=True, slots=True)
class RejectedLabel:
    """A row that was not used: the file line it ends on (the header is line 1), its cells and why."""

    line: int
    cells: list[str]
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedLabels:
    header: list[str]
    accepted: list[GroundTruthRecord]
    rejected: list[RejectedLabel]


def parse_labels(
    text: str,
    *,
    id_column: str = contract.TRANSACTION_ID,
    label_column: str = contract.LABEL_COLUMN,
    where: str = "labels file",
) -> ParsedLabels:
    """Validate every row of a labels CSV.

    Of two rows with the same ID the first is used and the second rejected: one request has one label.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise LabelFileError(
            f"{where}: is empty: expected a header row naming {id_column!r} and {label_column!r}"
        ) from None
    except csv.Error as exc:
        raise LabelFileError(f"{where}: header is not CSV ({exc})") from None
    names = [contract.canonical_column(cell) for cell in header]
    missing = [c for c in (id_column, label_column) if contract.canonical_column(c) not in names]
    if missing:
        raise LabelFileError(
            f"{where}: header has no column {', '.join(map(repr, missing))} (it has {header}); "
            "name the columns with --id-column and --label-column"
        )
    id_index = names.index(contract.canonical_column(id_column))
    label_index = names.index(contract.canonical_column(label_column))
    accepted: list[GroundTruthRecord] = []
    rejected: list[RejectedLabel] = []
    first_line_of: dict[str, int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejected.append(RejectedLabel(reader.line_num, [], f"line {reader.line_num}: not CSV ({exc})"))
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        line = reader.line_num
        reason = _problem(cells, len(header), id_index, label_index, id_column, label_column, first_line_of)
        if reason:
            rejected.append(RejectedLabel(line, cells, f"line {line}: {reason}"))
            continue
        event_id = cells[id_index].strip()
        first_line_of[event_id] = line
        accepted.append(GroundTruthRecord(event_id=event_id, label=cells[label_index].strip()))
    return ParsedLabels(header, accepted, rejected)


def _problem(
    cells: list[str],
    width: int,
    id_index: int,
    label_index: int,
    id_column: str,
    label_column: str,
    first_line_of: dict[str, int],
) -> str | None:
    if len(cells) != width:
        return f"has {len(cells)} cells where the header has {width}"
    event_id, label = cells[id_index].strip(), cells[label_index].strip()
    problems: list[str] = []
    if not event_id:
        problems.append(f"{id_column!r} is empty")
    elif len(event_id) > MAX_EVENT_ID_LENGTH:
        problems.append(
            f"{id_column!r} {event_id[:20]!r}... has {len(event_id)} characters: at most "
            f"{MAX_EVENT_ID_LENGTH} (it must equal the request's InferenceId)"
        )
    elif event_id in first_line_of:
        problems.append(f"{id_column!r} {event_id!r} already has a label on line {first_line_of[event_id]}")
    if label not in ALLOWED_LABELS:
        problems.append(f"{label_column!r} is {label!r}: expected one of {', '.join(ALLOWED_LABELS)}")
    return "; ".join(problems) or None


def ground_truth_file(records: Sequence[GroundTruthRecord]) -> tuple[bytes, str]:
    """The JSON Lines bytes of ``records`` and a file id made from their content."""
    data = "".join(f"{record.to_line()}\n" for record in records).encode()
    return data, content_digest(data)


def write_ground_truth(
    storage: Storage, ground_truth_uri: str, records: Sequence[GroundTruthRecord], collected_at: datetime
) -> str:
    """Write ``records`` as one ground-truth file for the hour of ``collected_at``; returns its location."""
    data, file_id = ground_truth_file(records)
    location = join_location(ground_truth_uri, ground_truth_file_key(collected_at, file_id))
    return storage.write_bytes(location, data, "application/jsonlines")


def rejected_csv(header: list[str], rejected: Sequence[RejectedLabel]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*header, REASON_COLUMN])
    for item in rejected:
        writer.writerow([*item.cells, item.reason])
    return buffer.getvalue().encode()


def default_rejected_location(input_location: str) -> str:
    """``labels.csv`` -> ``labels.rejected.csv`` next to it (same folder or S3 prefix)."""
    if is_s3_uri(input_location):
        uri = S3Uri.parse(input_location, what="--input")
        return str(S3Uri(uri.bucket, _rejected_name(uri.key)))
    return _rejected_name(input_location)


def _rejected_name(path: str) -> str:
    pure = PurePosixPath(path)
    return str(pure.with_name(f"{pure.stem}.rejected{pure.suffix or '.csv'}"))


# -- command line ------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="python -m pipelines.labels",
        description="Turn a CSV of transaction IDs and fraud labels into Model Monitor ground-truth files.",
    )
    result.add_argument("--input", required=True, help="labels CSV: a local path or an s3:// URI")
    result.add_argument(
        "--ground-truth-uri",
        required=True,
        help="the monitoring schedule's GroundTruthInput (s3:// URI or local folder); files go below it "
        "under yyyy/mm/dd/hh/",
    )
    result.add_argument(
        "--collected-at",
        help="when the labels were collected, ISO-8601 UTC (default: now); picks the yyyy/mm/dd/hh folder",
    )
    result.add_argument(
        "--id-column",
        default=contract.TRANSACTION_ID,
        help=f"column holding the ID the endpoint was called with (default: {contract.TRANSACTION_ID!r})",
    )
    result.add_argument(
        "--label-column",
        default=contract.LABEL_COLUMN,
        help=f"column holding the label, 0 or 1 (default: {contract.LABEL_COLUMN!r})",
    )
    result.add_argument(
        "--rejected-output",
        help="where to write rejected rows with their reasons (default: <input>.rejected.csv next to it)",
    )
    result.add_argument("--region", help="AWS region for S3 (default: the environment's)")
    result.add_argument("--log-level", default="INFO", choices=LOG_LEVELS, type=str.upper)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging(args.log_level)
    collected_at = parse_utc(args.collected_at, what="--collected-at") if args.collected_at else utc_now()
    rejected_location = args.rejected_output or default_rejected_location(args.input)
    locations = (args.input, args.ground_truth_uri, rejected_location)
    for location, flag in zip(locations, ("--input", "--ground-truth-uri", "--rejected-output"), strict=True):
        if is_s3_uri(location):
            S3Uri.parse(location, what=flag)
    storage = Storage(_s3_client(args.region) if any(map(is_s3_uri, locations)) else None)

    parsed = parse_labels(
        storage.read_text(args.input),
        id_column=args.id_column,
        label_column=args.label_column,
        where=args.input,
    )
    if parsed.accepted:
        written = write_ground_truth(storage, args.ground_truth_uri, parsed.accepted, collected_at)
        print(f"wrote {len(parsed.accepted)} labels collected at {format_utc(collected_at)} to {written}")
    if parsed.rejected:
        storage.write_bytes(rejected_location, rejected_csv(parsed.header, parsed.rejected), "text/csv")
        for item in parsed.rejected[:_SHOWN_PROBLEMS]:
            print(f"rejected: {args.input}: {item.reason}", file=sys.stderr)
        if len(parsed.rejected) > _SHOWN_PROBLEMS:
            print(f"rejected: ... and {len(parsed.rejected) - _SHOWN_PROBLEMS} more rows", file=sys.stderr)
        print(f"rejected {len(parsed.rejected)} rows, written with their reasons to {rejected_location}")
        return 1
    if not parsed.accepted:
        raise LabelFileError(f"{args.input}: has a header but no rows: nothing to upload")
    return 0


def _s3_client(region: str | None) -> S3Client:
    from pipelines.aws import client, session

    return client("s3", session(region))


if __name__ == "__main__":
    sys.exit(run(main))
