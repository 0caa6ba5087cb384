"""Field validation for services that write many rows (imports)."""

from django.core.exceptions import ValidationError
from django.db import models


def too_long(limit: int, length: int) -> str:
    """The one message for a text longer than its column (forms of their own aside)."""
    return f"{limit:,}文字以内で入力してください（{length:,}文字あります）"


class ItemInvalid(Exception):
    """Item `index` of a batch was refused; `error` says why. Nothing of the batch is written."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(f"item {index}: {error}")
        self.index = index
        self.error = error


def fields_validate(instance: models.Model) -> None:
    """Check an unsaved instance's own values (lengths, choices, formats) before it is written.

    Relations are skipped: the service holds the related objects it sets, and checking that
    they exist would cost a query per relation per row. Unique and check constraints are the
    database's, and the service has already given their Japanese messages.
    """
    relations = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
