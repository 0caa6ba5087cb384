"""The session store: Django's database sessions, with the signed-in user kept in a column so
that every session of one person can be ended at once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DbStore
from django.db import connection
from django.utils import timezone


class SessionStore(DbStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from tsunagu.accounts.models import UserSession

        return UserSession

    def load(self) -> dict[str, Any]:
        """Django's, by a plain statement: every page reads its session, and building the
        ORM's statement costs more than the database's answer (performance.md)."""
        table = connection.ops.quote_name(self.get_model_class()._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table}"  # noqa: S608
                " WHERE session_key = %s AND expire_date > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:  # ended, expired or never issued: a new session key when one is saved
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        try:
            owner = int(user_id) if user_id is not None else None
        except (TypeError, ValueError):
            owner = None
        obj.user_id = owner  # type: ignore[attr-defined]  # UserSession's column
        return obj
