"""Who a case goes to, following the platform's contact table.

- a safeguarding concern about a minor, and every child-first category of the reporter's
  form (someone is mean to me, asked me for photos, a friend, an adult) → the safeguarding lead;
- a general ethical concern, or anything else → the case handlers;
- a concern involving a Class2Class team member → the CEO;
- a concern involving the CEO → the independent reviewer only.
"""

from __future__ import annotations

from models import CaseCategory, Role

ROUTES: dict[str, str] = {
    CaseCategory.CHILD_MEAN: Role.SAFEGUARDING_LEAD,
    CaseCategory.CHILD_SEXUAL: Role.SAFEGUARDING_LEAD,
    CaseCategory.CHILD_FRIEND: Role.SAFEGUARDING_LEAD,
    CaseCategory.CHILD_ADULT: Role.SAFEGUARDING_LEAD,
    CaseCategory.SAFEGUARDING_MINOR: Role.SAFEGUARDING_LEAD,
    CaseCategory.ETHICAL: Role.CASE_HANDLER,
    CaseCategory.TEAM_MEMBER: Role.CEO,
    CaseCategory.CEO: Role.INDEPENDENT_REVIEWER,
    CaseCategory.OTHER: Role.CASE_HANDLER,
}


def route_case(category: str) -> str:
    """The role whose desk receives a new case of this category."""
    try:
        return ROUTES[category]
    except KeyError:
        raise ValueError(f"unknown case category {category!r}") from None
