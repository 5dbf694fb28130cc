"""The columns a record batch holds besides the request's features, and the reader's internal ones.

Metadata columns start with ``__`` (features never do), so a monitor can tell them apart by name.
"""

from __future__ import annotations

METADATA_PREFIX = "__"
# Metadata columns added to every record.
EVENT_ID = "__event_id"
INFERENCE_ID = "__inference_id"
INFERENCE_TIME = "__inference_time"
RECORD_INDEX = "__record_index"
RECORD_ID = "__record_id"
PREDICTED_LABEL = "__predicted_label"
PREDICTED_PROBABILITY = "__predicted_probability"
# Where the record is in its window: ``file ordinal << 32 | record number within the file``. Independent of
# how the window's files are grouped into batches or slices, so partial results keyed by it (first-seen
# order, seeded samples) are the same on every engine (``pipelines.monitoring.partial_results``).
POSITION = "__position"
POSITION_FILE_SHIFT = 32
METADATA_COLUMNS = (
    EVENT_ID,
    INFERENCE_ID,
    INFERENCE_TIME,
    RECORD_INDEX,
    RECORD_ID,
    PREDICTED_LABEL,
    PREDICTED_PROBABILITY,
    POSITION,
)

# Internal to the reader's modules (never in a batch it yields).
REQUEST = "__request"  # row number of the request within a group of files
WHERE = "__where"  # file:line of the request (or file<NUL>row, resolved when reported)
FILE = "__file"  # ordinal of the request's file in the window's file list
ROW_SEPARATOR = "\x00"
JSON, CSV = "JSON", "CSV"  # the payload formats a request or response is decoded as
