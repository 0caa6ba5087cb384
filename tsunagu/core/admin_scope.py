"""City-scoped administration.

A city's administrators (role `admin`, `is_staff`, never superusers) manage only their own city
in the administration site: lists, forms, choices in related fields and every permission check
are limited to it. Hosting cities is the platform operator's job: a superuser without an
organization, created only on the server (`tsunagu create-operator`).

This module imports no app: it reads `request.user.organization.municipality_id` and the role
check `has_role("admin")` from whatever user model the project has.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

ADMIN_ROLE = "admin"


def is_operator(request: HttpRequest) -> bool:
    """The platform operator: sees every city."""
    return bool(getattr(request.user, "is_superuser", False))


def admin_city_id(request: HttpRequest) -> int | None:
    """The city a city administrator manages; None for anyone else."""
    user: Any = request.user
    if not getattr(user, "is_active", False) or not getattr(user, "is_staff", False):
        return None
    if not user.has_role(ADMIN_ROLE):
        return None
    organization = getattr(user, "organization", None)
    return organization.municipality_id if organization is not None else None


def _city_lookup(model: type[models.Model]) -> str | None:
    """How a model's rows name their city: `municipality`, `organization__municipality`, …"""
    names = {f.name for f in model._meta.get_fields()}
    if model._meta.model_name == "municipality":
        return "pk"
    for path in ("municipality", "organization__municipality", "user__organization__municipality"):
        if path.split("__")[0] in names:
            return path
    return None


class CityScopedAdmin[M: models.Model](admin.ModelAdmin[M]):
    """A ModelAdmin that a city administrator sees only for their own city."""

    # the lookup from this model to its municipality; None: guessed from the fields
    city_lookup: str | None = None
    # only the platform operator adds or deletes rows of this model (e.g. a city itself)
    operator_only_add_delete = False

    def _lookup(self) -> str:
        lookup = self.city_lookup or _city_lookup(self.model)
        if lookup is None:  # a model with no city: only the operator manages it
            raise LookupError(self.model)
        return lookup

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[M]:
        qs = super().get_queryset(request)
        if is_operator(request):
            return qs
        city = admin_city_id(request)
        if city is None:
            return qs.none()
        return qs.filter(**{self._lookup(): city})

    def _allowed(self, request: HttpRequest, obj: M | None = None) -> bool:
        if is_operator(request):
            return True
        city = admin_city_id(request)
        if city is None:
            return False
        if obj is None:
            return True
        # unscoped: the structure (no personal data), narrowed to the administrator's city
        return type(obj)._default_manager.filter(pk=obj.pk, **{self._lookup(): city}).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if self.operator_only_add_delete:
            return is_operator(request)
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.operator_only_add_delete:
            return is_operator(request)
        return self._allowed(request, obj)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        self._limit_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        self._limit_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _limit_choices(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        if is_operator(request):
            return
        related: type[models.Model] = db_field.remote_field.model
        lookup = _city_lookup(related)
        city = admin_city_id(request)
        if lookup is not None:
            # unscoped: choices of the structure, narrowed to the administrator's city
            kwargs["queryset"] = related._default_manager.filter(**{lookup: city})


class CityScopedInline[M: models.Model, P: models.Model](admin.TabularInline[M, P]):
    """An inline whose related-field choices stay within the administrator's city."""

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if not is_operator(request):
            related: type[models.Model] = db_field.remote_field.model
            lookup = _city_lookup(related)
            if lookup is not None:
                city = admin_city_id(request)
                # unscoped: choices of the structure, narrowed to the administrator's city
                kwargs["queryset"] = related._default_manager.filter(**{lookup: city})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_operator(request) or admin_city_id(request) is not None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)
