"""The one place that turns Python objects into JSON bytes and back.

Model Monitor's files are written pretty-printed (like SageMaker does); content-addressed keys hash the
canonical form, so the same content always gets the same key whatever the dict order.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any


def _finite(value: Any) -> Any:
    """Replace NaN/inf (not JSON) with the strings SageMaker's analyzer writes for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def dumps_pretty(obj: Any) -> bytes:
    """Indented JSON, as SageMaker writes statistics/constraints files."""
    return (json.dumps(_finite(obj), indent=2, allow_nan=False) + "\n").encode()


def dumps_canonical(obj: Any) -> bytes:
    """Compact JSON with sorted keys: equal content gives equal bytes."""
    return json.dumps(_finite(obj), sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def dumps_line(obj: Any) -> str:
    """One compact JSON Lines line (no trailing newline)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def content_digest(data: bytes, length: int = 16) -> str:
    """Short SHA-256 hex digest used in content-addressed keys."""
    return hashlib.sha256(data).hexdigest()[:length]
