"""Record preprocessor for SageMaker Model Monitor's data-quality job (runs inside AWS's analyzer container).

Model Monitor's analyzer only reads CSV rows or *flat* JSON objects
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-and-post-processing.html). The fraud
endpoint receives a JSON list of records per request, so this handler turns each captured request into
one flat row per record, holding the model's feature columns (the ones the data-quality baseline was
computed on). The handler may return a list (the documented custom-sampling example returns ``[]``).

This file is uploaded as-is to S3 by get_baselines_and_configs.py and set as the template's
``DataQualityRecordPreprocessorS3Uri``: it must stay standard-library only and self-contained, so the
feature columns are written out below; a test keeps them equal to ``transaction_scoring.contract``.
"""

import base64
import json

FEATURE_COLUMNS = (
    "Transaction Amount",
    "Transaction Date",
    "Payment Method",
    "Product Category",
    "Quantity",
    "Customer Age",
    "Customer Location",
    "Device Used",
    "Account Age Days",
    "Transaction Hour",
)


def _request_text(endpoint_input):
    data = endpoint_input.data or ""
    if (endpoint_input.encoding or "").upper() == "BASE64":
        return base64.b64decode(data).decode("utf-8")
    return data


def preprocess_handler(inference_record, logger=None):
    """One flat ``{feature: value}`` row per record of the captured request; ``[]`` if it is unreadable."""
    endpoint_input = inference_record.endpoint_input
    if endpoint_input is None:
        return []
    try:
        payload = json.loads(_request_text(endpoint_input))
    except ValueError as error:
        if logger is not None:
            logger.warning("skipping a captured request that is not JSON: %s", error)
        return []
    records = [payload] if isinstance(payload, dict) else payload
    if not isinstance(records, list):
        if logger is not None:
            logger.warning("skipping a captured request that is neither a record nor a list of records")
        return []
    return [
        {column: record.get(column) for column in FEATURE_COLUMNS}
        for record in records
        if isinstance(record, dict)
    ]
