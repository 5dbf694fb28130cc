"""Checks that a stage's monitors will find what they read: their baseline files, and the endpoint's capture.

Baselines: every baseline URI an export points a schedule at must exist and be readable now; a schedule
created with a missing one is accepted by CloudFormation and then fails on every execution. Checked with
``HeadObject`` (``s3:GetObject`` permission, no download) before anything is written.

Capture: monitors only see what data capture wrote. If capture is off, samples nothing, or stores the
requests' content type as BASE64 (types not listed in ``CaptureContentTypeHeader`` are), every execution
finds no usable data and fails hours later. These checks read the endpoint config's ``DataCaptureConfig``
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html) and only warn:
the endpoint belongs to the deploy pipeline, not to this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pipelines.errors import InvalidS3Uri
from pipelines.monitors import MONITORS, MonitorType
from pipelines.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CSV_TYPES = "CsvContentTypes"
JSON_TYPES = "JsonContentTypes"


_MISSING = ("404", "NoSuchKey", "NotFound", "NoSuchBucket")
_REFUSED = ("403", "AccessDenied", "Forbidden")


def unreadable_baselines(s3: S3Client, uris: Mapping[str, str]) -> list[str]:
    """One line per baseline ``where -> URI`` that does not exist or cannot be read with these credentials."""
    problems = []
    for where, uri in uris.items():
        reason = _unreadable(s3, uri)
        if reason:
            problems.append(f"{where}: {uri}: {reason}; its schedule would fail on every execution")
    return problems


def _unreadable(s3: S3Client, uri: str) -> str | None:
    try:
        location = S3Uri.parse(uri)
    except InvalidS3Uri:
        return "not an s3:// URI"
    try:
        s3.head_object(Bucket=location.bucket, Key=location.key)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _REFUSED:
            return f"cannot be read with these credentials ({code}: s3:GetObject refused)"
        if code not in _MISSING:
            raise
        return (
            f"bucket {location.bucket!r} does not exist" if code == "NoSuchBucket" else _missing(s3, location)
        )
    return None


def _missing(s3: S3Client, location: S3Uri) -> str:
    try:
        s3.head_bucket(Bucket=location.bucket)
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code", "")) in _MISSING:  # HEAD: 404 without a body
            return f"bucket {location.bucket!r} does not exist"
    return "no such object"


def _base_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def capture_warnings(
    endpoint_name: str,
    capture: Mapping[str, Any],
    capture_status: str | None,
    *,
    content_type: str,
    accept: str,
    enabled_monitors: Iterable[MonitorType],
) -> list[str]:
    """One line per reason the enabled monitors of ``endpoint_name`` would find no usable data."""
    enabled = list(enabled_monitors)
    if not enabled:
        return []
    names = ", ".join(enabled)
    if not capture or not capture.get("EnableCapture", False):
        return [f"endpoint {endpoint_name}: data capture is off: the {names} monitors will find no data"]
    warnings = []
    if capture_status and capture_status != "Started":
        warnings.append(f"endpoint {endpoint_name}: data capture status is {capture_status}, not Started")
    sampling = capture.get("InitialSamplingPercentage", 0)
    if not sampling:
        warnings.append(
            f"endpoint {endpoint_name}: data capture samples {sampling}% of requests: the {names} monitors "
            "will find no data"
        )
    modes = {option.get("CaptureMode") for option in capture.get("CaptureOptions", [])}
    if "Input" not in modes:
        warnings.append(
            f"endpoint {endpoint_name}: data capture does not record requests (CaptureMode Input)"
        )
    needs_output = [m for m in enabled if MONITORS[m].reads_responses]
    if needs_output and "Output" not in modes:
        warnings.append(
            f"endpoint {endpoint_name}: data capture does not record responses (CaptureMode Output), which "
            f"the {', '.join(needs_output)} monitors read"
        )
    header = capture.get("CaptureContentTypeHeader") or {}
    text_types = {_base_type(t) for key in (CSV_TYPES, JSON_TYPES) for t in header.get(key, [])}
    for what, kind in (("requests", content_type), ("responses", accept)):
        if _base_type(kind) not in text_types:
            warnings.append(
                f"endpoint {endpoint_name}: {what} of type {kind} are captured as BASE64, which the monitors "
                f"cannot parse: add {kind} to DataCaptureConfig.CaptureContentTypeHeader.{JSON_TYPES}"
            )
    return warnings
