"""`person_data_validate` is the one set of rules of a person's own fields, their lengths
included: `person_create_many` writes what passes it without the model's validation."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tsunagu.accounts.models import User
from tsunagu.core.validation import ItemInvalid
from tsunagu.people.models import Person
from tsunagu.people.services import PersonData, person_create, person_create_many


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("family_name", 50),
        ("given_name", 50),
        ("family_name_kana", 100),
        ("address", 300),
        ("contact_note", 300),
    ],
)
def test_a_field_longer_than_its_column_is_refused_in_japanese(
    counselor: User, field: str, limit: int
) -> None:
    value = ("ア" if field.endswith("kana") else "長") * (limit + 1)
    too_long: dict[str, Any] = {field: value}
    data = replace(PersonData(family_name="山田", given_name="花子"), **too_long)
    with pytest.raises(ValidationError) as caught:
        person_create(user=counselor, data=data)
    assert caught.value.message_dict[field] == [
        f"{limit}文字以内で入力してください（{limit + 1}文字あります）"
    ]
    fitting: dict[str, Any] = {field: value[:limit]}
    fits = replace(data, **fitting)
    assert getattr(person_create(user=counselor, data=fits), field) == value[:limit]


def test_a_refused_item_of_many_writes_none_of_them(counselor: User) -> None:
    good = PersonData(family_name="山田", given_name="花子")
    bad = PersonData(family_name="山田", given_name="次郎", contact_note="長" * 301)
    with pytest.raises(ItemInvalid) as caught:
        person_create_many(user=counselor, datas=[good, bad])
    assert caught.value.index == 1
    # unscoped: whether anything was written at all
    assert not Person.dangerously_unscoped.filter(family_name="山田").exists()
