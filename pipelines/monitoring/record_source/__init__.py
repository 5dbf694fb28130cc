"""Where a run's records come from: an endpoint's data capture, a batch transform's, or a dataset.

```python
source = settings.source                       # chosen by settings_resolution from the options
parts = source.parts(storage, window)          # files (or file pairs) in reading order; picklable
reader = source.reader(storage)
for batch in reader.batches(parts):            # the capture reader's shape: features + METADATA_COLUMNS
    ...                                        # reader.report: CaptureReadReport (counts, problems)
```

``base`` states the contract; ``endpoint``, ``transform`` and ``dataset`` are the three sources.
"""

from pipelines.monitoring.record_source.base import (
    CaptureRecords,
    RecordReader,
    RecordSource,
    SourceKind,
    SourceParts,
)
from pipelines.monitoring.record_source.dataset import DatasetColumns, DatasetReader, DatasetRecords
from pipelines.monitoring.record_source.endpoint import EndpointCapture
from pipelines.monitoring.record_source.transform import TransformCapture

__all__ = [
    "CaptureRecords",
    "DatasetColumns",
    "DatasetReader",
    "DatasetRecords",
    "EndpointCapture",
    "RecordReader",
    "RecordSource",
    "SourceKind",
    "SourceParts",
    "TransformCapture",
]
