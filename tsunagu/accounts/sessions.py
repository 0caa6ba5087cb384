"""The session store: Django's database sessions, with the signed-in user kept in a column so
that every session of one person can be ended at once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DbStore


class SessionStore(DbStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from tsunagu.accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        try:
            owner = int(user_id) if user_id is not None else None
        except (TypeError, ValueError):
            owner = None
        obj.user_id = owner  # type: ignore[attr-defined]  # UserSession's column
        return obj
