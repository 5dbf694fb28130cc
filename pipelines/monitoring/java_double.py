"""Numbers as Java prints them (``Double.toString``), the way Model Monitor's analyzer writes them in texts.

The analyzer is a Scala/Spark program (Deequ), so the numbers inside its violation descriptions are Java's
``Double.toString``: the shortest digits that round-trip (what Python's ``repr`` finds too), written as a
plain decimal with at least one fractional digit when ``1e-3 <= |x| < 1e7`` (``100.0``, ``0.009009``) and in
"computerized scientific notation" otherwise (``1.0E-4``, ``2.5E7``), where Python would write ``0.0001`` and
``25000000.0``: https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/lang/Double.html#toString(double)
"""

from __future__ import annotations

import math
from decimal import Decimal

_PLAIN_LOW = 1e-3
_PLAIN_HIGH = 1e7


def java_double_string(x: float) -> str:
    """``Double.toString(x)``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    shortest = Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(str(d) for d in shortest.digits)
    assert isinstance(shortest.exponent, int)  # finite by the checks above
    exponent = shortest.exponent + len(digits) - 1  # of the first digit
    if _PLAIN_LOW <= abs(x) < _PLAIN_HIGH:
        whole = exponent + 1  # digits before the decimal point
        if whole <= 0:
            text = "0." + "0" * -whole + digits
        elif whole >= len(digits):
            text = digits + "0" * (whole - len(digits)) + ".0"
        else:
            text = f"{digits[:whole]}.{digits[whole:]}"
    else:
        text = f"{digits[0]}.{digits[1:] or '0'}E{exponent}"
    return sign + text
