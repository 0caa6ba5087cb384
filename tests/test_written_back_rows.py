"""The test runner writes the migrations' rows back after a committing test; on PostgreSQL the
sequences must follow, or the next insert takes an id in use (`resources_category_pkey`)."""

from __future__ import annotations

import pytest
from django.db import connection

from tsunagu.resources.models import Category

pytestmark = pytest.mark.django_db


def _set_back(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1, false)")


def test_rows_written_back_move_the_sequences_past_them() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes the next id from the table itself")
    assert Category.objects.filter(pk=1).exists()  # the migrations' rows
    serialized = connection.creation.serialize_db_to_string()  # as the test runner keeps them
    _set_back("resources_category")  # as a test that restored or generated data leaves it
    connection.creation.deserialize_db_from_string(serialized)
    created = Category.objects.create(code="written-back-check", name="確認", description="確認")
    assert created.pk > 1
