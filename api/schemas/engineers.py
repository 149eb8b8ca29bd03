"""Field engineers: their skills, certificates, base and open jobs, and editing a profile."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.base import PublicModel
from models.dispatch import Certification, EngineerProfile, FieldEngineer
from models.plant import Location
from models.tickets import TicketType

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CertificationBody(BaseModel):
    """A certificate: its name, the last day it is valid, the machine models it covers."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    valid_until: date
    machine_models: list[Name] = Field(default_factory=list, max_length=100)


class EngineerProfileUpdate(BaseModel):
    """A field engineer's whole profile; what is left out is emptied.

    ``machine_models`` and ``ticket_types`` are their skills; ``base_location`` is where
    they set out from (for the distance to a site), ``home_region`` the region they cover.
    """

    model_config = ConfigDict(extra="forbid")

    home_region: str = Field(default="", max_length=100)
    base_name: str = Field(default="", max_length=200)
    base_location: Location | None = None
    machine_models: list[Name] = Field(default_factory=list, max_length=100)
    ticket_types: list[TicketType] = Field(default_factory=list)
    certifications: list[CertificationBody] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _certificates_once_each(self) -> EngineerProfileUpdate:
        names = [c.name for c in self.certifications]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"each certificate once: {', '.join(repeated)} is listed twice")
        return self

    def profile(self, login: str) -> EngineerProfile:
        return EngineerProfile(
            login=login,
            home_region=self.home_region.strip(),
            base_name=self.base_name.strip(),
            base_location=self.base_location,
            machine_models=tuple(dict.fromkeys(self.machine_models)),
            ticket_types=tuple(dict.fromkeys(self.ticket_types)),
            certifications=tuple(
                Certification(c.name, c.valid_until, tuple(dict.fromkeys(c.machine_models)))
                for c in self.certifications
            ),
        )


class CertificationPublic(PublicModel):
    """A certificate and whether it is valid today (``valid`` false once expired)."""

    name: str
    valid_until: date
    machine_models: list[str]
    valid: bool

    @classmethod
    def of(cls, certification: Certification, today: date) -> CertificationPublic:
        return cls(
            name=certification.name,
            valid_until=certification.valid_until,
            machine_models=list(certification.machine_models),
            valid=certification.valid_on(today),
        )


class EngineerPublic(PublicModel):
    """A field engineer: skills, certificates, base, and ``open_jobs`` (tickets dispatched to
    them and not yet repaired, counted now). ``updated_at`` null: no profile stored yet."""

    login: str
    display_name: str
    home_region: str
    base_name: str
    base_location: Location | None
    machine_models: list[str]
    ticket_types: list[TicketType]
    certifications: list[CertificationPublic]
    open_jobs: int
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, engineer: FieldEngineer, *, today: date) -> EngineerPublic:
        profile = engineer.profile
        return cls(
            login=engineer.login,
            display_name=engineer.display_name,
            home_region=profile.home_region,
            base_name=profile.base_name,
            base_location=profile.base_location,
            machine_models=list(profile.machine_models),
            ticket_types=list(profile.ticket_types),
            certifications=[CertificationPublic.of(c, today) for c in profile.certifications],
            open_jobs=engineer.open_jobs,
            updated_at=profile.updated_at,
            updated_by=profile.updated_by,
        )
