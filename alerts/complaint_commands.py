"""Registering and moving complaints, each in one transaction with its history entry.

The moves themselves are ``alerts.complaint_lifecycle``'s decision; a complaint
row is locked while it moves, so two people cannot both move it from one state.
"""

from __future__ import annotations

from datetime import datetime

from alerts.complaint_lifecycle import ComplaintRefusal, answer_due, apply_move, check_move
from models.complaints import Complaint, ComplaintDraft, ComplaintMove, ComplaintStatus
from models.users import User
from storage import complaint_store, service_report_store, ticket_store
from storage.connections import Connection

_KEY_KIND = "complaint"


class KeyTakenError(Exception):
    """Another request with the same idempotency key registered concurrently."""


async def register(
    conn: Connection, *, draft: ComplaintDraft, user: User, idempotency_key: str | None
) -> tuple[Complaint, bool]:
    """Register the complaint (the ticket's history notes it): (it, whether new).

    The same idempotency key again returns the complaint it registered the first time.
    """
    async with conn.transaction():
        if idempotency_key is not None:
            earlier = await service_report_store.ref_for_key(
                conn, user_id=user.id, kind=_KEY_KIND, key=idempotency_key
            )
            if earlier is not None:
                found = await complaint_store.get_complaint(conn, complaint_id=earlier)
                assert found is not None  # the key references it
                return found, False
        complaint = await complaint_store.register_complaint(
            conn, draft=draft, answer_due=answer_due(draft.severity, draft.registered_at)
        )
        if draft.ticket_id is not None:
            await ticket_store.append_event(
                conn,
                ticket_id=draft.ticket_id,
                at=draft.registered_at,
                kind="complaint",
                note=f"complaint {complaint.number} registered: {draft.description}",
                actor=user.login,
            )
        if idempotency_key is not None and not await service_report_store.remember_key(
            conn, user_id=user.id, kind=_KEY_KIND, key=idempotency_key, ref_id=complaint.id
        ):
            raise KeyTakenError(idempotency_key)
    return complaint, True


async def move(
    conn: Connection, *, complaint_id: int, step: ComplaintMove, user: User, at: datetime
) -> Complaint | ComplaintRefusal | None:
    """Move the complaint; the refusal if the move is not allowed, None if there is none."""
    async with conn.transaction():
        complaint = await complaint_store.get_complaint(
            conn, complaint_id=complaint_id, for_update=True
        )
        if complaint is None:
            return None
        refusal = check_move(complaint, step, user.role)
        if refusal is not None:
            return refusal
        moved = apply_move(complaint, step, at=at)
        await complaint_store.update_complaint(conn, complaint=moved)
        await complaint_store.append_event(
            conn,
            complaint_id=complaint_id,
            at=at,
            actor=user.login,
            kind="transition",
            old_status=complaint.status,
            new_status=moved.status,
            note=_note(step, moved),
        )
    return moved


def _note(step: ComplaintMove, moved: Complaint) -> str:
    """The history entry: the person's note, and what the step recorded."""
    parts = [step.note.strip()] if step.note.strip() else []
    if step.target is ComplaintStatus.CLASSIFIED:
        parts.append(
            f"{moved.category}, {moved.severity}: answer due {moved.answer_due:%Y-%m-%d %H:%M %Z}"
        )
    if step.findings.strip():
        parts.append(f"findings: {step.findings.strip()}")
    if step.target is ComplaintStatus.ANSWERED:
        parts.append(f"answer: {moved.answer}")
    return " · ".join(parts)
