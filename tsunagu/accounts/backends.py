"""The password backend staff sign in with: Django's, with the signed-in user read together with
the organization and its municipality, which every page reads (scoping, the city's settings)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from tsunagu.accounts.models import User


class StaffBackend(ModelBackend):
    def get_user(self, user_id: int) -> User | None:
        """The session's user with `organization__municipality` in the same query: two queries
        fewer on every page than Django's `get_user`."""
        # by its key, so neither ordered nor limited (`first()` would add both to the statement)
        found = list(User.objects.select_related("organization__municipality").filter(pk=user_id))
        return found[0] if found and self.user_can_authenticate(found[0]) else None
