"""Role-based access for views.

`roles_required` both guards a view and records which roles it admits in ACCESS, so the
test suite can check every page against every role without a hand-kept list going stale.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user, login_required

from models import User

F = TypeVar("F", bound=Callable[..., Any])

# endpoint function qualname -> roles allowed (empty set: any signed-in staff member)
ACCESS: dict[str, frozenset[str]] = {}


def staff() -> User:
    """The signed-in staff member (views behind roles_required only)."""
    return cast(User, current_user._get_current_object())


def roles_required(*roles: str) -> Callable[[F], F]:
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        ACCESS[f"{view.__module__}.{view.__name__}"] = allowed

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if allowed and not staff().has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, login_required(wrapper))

    return decorate
