"""How the plain values events carry are written to the store, exactly."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import Transcoding


class DateAsISO(Transcoding):
    """Calendar dates (decided_on, period_end) as ISO 8601 strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)
