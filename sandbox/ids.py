from __future__ import annotations

import uuid


def parse_uuid(value: object) -> uuid.UUID | None:
    """The GUID in ``value``, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
