"""Read an endpoint's data capture (S3 or a local folder) into columnar batches: one row per record.

```python
from pipelines.monitoring.capture_reader import CaptureReader, capture_files
reader = CaptureReader(storage)
for batch in reader.batches(capture_files(storage, capture_root, endpoint, window)):
    ...                                  # features + METADATA_COLUMNS; reader.report: counts and problems
```

Input: SageMaker's data-capture JSON Lines (``pipelines.capture`` documents the format) under
``{capture_root}/{endpoint}/{variant}/yyyy/mm/dd/hh/``; a window selects the hour folders that overlap it, as
Model Monitor's hourly executions do (``files``). Each request's ``endpointInput`` (``CSV``, ``JSON`` or
``BASE64`` holding JSON or CSV) may hold one record or several (a JSON list of objects, or CSV lines); each
record becomes one row with the request's feature columns (CSV columns are named ``_c0``, ``_c1``... like
the analyzer does) and the metadata columns of ``columns`` (``records``). The response (``endpointOutput``)
is matched to the records by position (``predictions``).

Robustness: a line that is not a capture record, or a request whose payload cannot be decoded, is counted
and kept in ``report.unreadable`` as ``file:line: reason`` — never dropped silently, never fatal. A response
that does not fit its request (bad payload, other record count) leaves the predictions empty and is kept in
``report.response_problems``.

Speed: JSON is parsed by Arrow's multi-threaded JSON reader (envelopes and payloads alike), CSV and BASE64
by polars; Python only walks lines on the error path, and the next batch is parsed on a thread while the
caller works on the current one (``prefetch``). Files are processed in groups of about ``batch_bytes``, so
memory is bounded by the group size and the number of features, not by the number of records.

Modules: ``files`` (which files a window reads), ``envelopes`` (capture lines → requests), ``payloads``
(payload decoding, JSON and CSV parsing), ``records`` (requests → records), ``predictions`` (responses →
predictions, matched to the records), ``prefetch`` (a producer thread), ``reader`` (``CaptureReader``, which
joins them and keeps the report), ``columns`` and ``types`` (the names and types of the public API).
"""

from pipelines.monitoring.capture_reader.columns import (
    EVENT_ID,
    INFERENCE_ID,
    INFERENCE_TIME,
    METADATA_COLUMNS,
    POSITION,
    POSITION_FILE_SHIFT,
    PREDICTED_LABEL,
    PREDICTED_PROBABILITY,
    RECORD_ID,
    RECORD_INDEX,
)
from pipelines.monitoring.capture_reader.files import capture_files
from pipelines.monitoring.capture_reader.reader import DEFAULT_BATCH_BYTES, CaptureReader
from pipelines.monitoring.capture_reader.types import CaptureReadReport, ReadProblem, ResponseFields

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "EVENT_ID",
    "INFERENCE_ID",
    "INFERENCE_TIME",
    "METADATA_COLUMNS",
    "POSITION",
    "POSITION_FILE_SHIFT",
    "PREDICTED_LABEL",
    "PREDICTED_PROBABILITY",
    "RECORD_ID",
    "RECORD_INDEX",
    "CaptureReadReport",
    "CaptureReader",
    "ReadProblem",
    "ResponseFields",
    "capture_files",
]
