"""The review workflow of knowledge-base entries and what an entry must say (pure)."""

from __future__ import annotations

import pytest

from models.knowledge import (
    Audience,
    EntryContent,
    EntryKind,
    EntryStatus,
    content_problem,
    move_refusal,
    status_after_edit,
)
from models.users import Role

S = EntryStatus


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.DRAFT, S.IN_REVIEW),
        (S.IN_REVIEW, S.PUBLISHED),
        (S.IN_REVIEW, S.DRAFT),
        (S.PUBLISHED, S.RETIRED),
        (S.RETIRED, S.DRAFT),
    ],
)
def test_support_and_admin_make_the_workflow_s_moves(current: S, target: S) -> None:
    assert move_refusal(current, target, Role.SUPPORT) is None
    assert move_refusal(current, target, Role.ADMIN) is None
    for role in (Role.DESK, Role.CUSTOMER, Role.FIELD_ENGINEER, Role.PARTS_MANAGER):
        assert move_refusal(current, target, role) is not None


def test_publishing_needs_a_review_and_the_refusal_names_the_way() -> None:
    refusal = move_refusal(S.DRAFT, S.PUBLISHED, Role.SUPPORT)
    assert refusal is not None
    assert "in_review (submit for review)" in refusal
    assert move_refusal(S.PUBLISHED, S.IN_REVIEW, Role.SUPPORT) is not None


def test_an_edit_makes_a_draft_of_anything_but_a_retired_entry() -> None:
    assert [status_after_edit(s) for s in S] == [S.DRAFT, S.DRAFT, S.DRAFT, S.RETIRED]


def test_content_problems() -> None:
    good = EntryContent(EntryKind.FAULT_CODE, Audience.INTERNAL, ("FIL-12",), "t", (201,))
    assert content_problem(good) is None
    bad = [
        EntryContent(EntryKind.FAULT_CODE, Audience.INTERNAL, ("FIL-12",), "t"),
        EntryContent(EntryKind.SYMPTOM, Audience.INTERNAL, (), "t"),
        EntryContent(EntryKind.SYMPTOM, Audience.INTERNAL, ("FIL-12",), " "),
        EntryContent(EntryKind.SYMPTOM, Audience.INTERNAL, ("FIL-12",), "t", signals=(" ",)),
    ]
    assert all(content_problem(content) for content in bad)
