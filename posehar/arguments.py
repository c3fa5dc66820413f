"""Checks of the API's arguments, one clear ValueError naming the argument."""

from __future__ import annotations

import numpy as np


def check_count(name: str, value, optional: bool = False) -> None:
    """ValueError unless ``value`` is a whole number of at least 1 (or None where ``optional``)."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1{' or None' if optional else ''}, got {value!r}")
