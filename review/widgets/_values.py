"""How widgets show a stored value."""
from __future__ import annotations

import math

__all__ = ["shown"]


def shown(value) -> str:
    """A stored value as text: '' for missing values (None, NaN), whole numbers without '.0'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
