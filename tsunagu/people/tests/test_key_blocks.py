"""`selectors.key_blocks`: the persons holding each key, the city's only."""

from __future__ import annotations

import datetime as dt

from tsunagu.accounts.models import User
from tsunagu.people.models import PersonKey
from tsunagu.people.selectors import key_blocks
from tsunagu.people.services import PersonData, person_create


def test_blocks_hold_the_city_s_persons_only(
    counselor: User, receiver: User, outsider: User
) -> None:
    """Namesakes with one birth date in two windows of the city and in another city: every
    key they share gives the city's two, never the other city's; a key nobody holds gives no
    block."""
    data = PersonData(
        family_name="高橋",
        given_name="花子",
        family_name_kana="タカハシ",
        given_name_kana="ハナコ",
        birth_date=dt.date(1931, 5, 2),
    )
    here = {person_create(user=u, data=data).pk for u in (counselor, receiver)}
    there = person_create(user=outsider, data=data)
    assert counselor.organization is not None and outsider.organization is not None
    here_city, there_city = (
        counselor.organization.municipality_id,
        outsider.organization.municipality_id,
    )
    keys = set(
        PersonKey.objects.visible_to(outsider).filter(person=there).values_list("key", flat=True)
    )
    assert keys
    blocks = key_blocks(keys=[*keys, "n:だれもいない"], municipality_id=here_city)
    assert set(blocks) == keys
    assert all(persons == here for persons in blocks.values())
    assert key_blocks(keys=keys, municipality_id=there_city) == {key: {there.pk} for key in keys}
