"""A moment marked on a chart and attached to a ticket."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import PublicModel
from api.schemas.people import NO_NAMES, PeopleNames
from storage.annotation_store import Annotation


class AnnotationCreate(BaseModel):
    """A moment on the machine's chart, optionally on one signal, with a note."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "machine_id": "l1-filler",
                    "at": "2026-11-30T08:12:00+01:00",
                    "signal": "vibration_rms",
                    "note": "vibration steps up here",
                }
            ]
        },
    )

    machine_id: str = Field(min_length=1, max_length=100, examples=["l1-filler"])
    at: datetime = Field(description="The moment marked, with its offset")
    signal: str | None = Field(default=None, min_length=1, max_length=100)
    note: str = Field(min_length=1, max_length=2000, examples=["vibration steps up here"])


class AnnotationPublic(PublicModel):
    """A marked moment, for the service team (customers are refused annotations)."""

    id: int
    ticket_id: int
    machine_id: str
    at: datetime
    signal: str | None
    note: str
    created_by: str = Field(description="Login of who marked it")
    created_by_name: str = Field(
        description="Name of who marked it; the login when the account is gone"
    )
    created_at: datetime

    @classmethod
    def of(cls, annotation: Annotation, names: PeopleNames = NO_NAMES) -> AnnotationPublic:
        return cls(
            id=annotation.id,
            ticket_id=annotation.ticket_id,
            machine_id=annotation.machine_id,
            at=annotation.at,
            signal=annotation.signal,
            note=annotation.note,
            created_by=annotation.created_by,
            created_by_name=names.name(annotation.created_by) or annotation.created_by,
            created_at=annotation.created_at,
        )
