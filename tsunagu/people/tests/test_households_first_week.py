"""Issue 7, class 6 (households): a member is registered from the household's page in one
step; the candidate list says truthfully why a household is proposed; an unnamed household is
named after its members."""

from __future__ import annotations

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.consultations.tests.test_pages import register_person
from tsunagu.people.models import Household, HouseholdMember, Person
from tsunagu.people.selectors import household_candidates


def test_the_son_of_an_8050_household_is_registered_there_in_one_step(counselor: User) -> None:
    client = client_for(counselor)
    mother = register_person(client, given_name="トメ", given_name_kana="とめ")
    client.post(f"/people/{mother.pk}/household/", {"relationship": "head"})
    page = client.get(f"/people/{mother.pk}/").content.decode()
    assert "この世帯に世帯員を登録する" in page
    response = client.post(
        f"/people/{mother.pk}/household/new-member/",
        {
            "family_name": "髙橋",
            "given_name": "誠",
            "family_name_kana": "たかはし",
            "given_name_kana": "まこと",
            "birth_date": "1976-06-01",
            "sex": "male",
            "relationship": "child",
            "same_address": "on",
        },
    )
    assert response.status_code == 302
    son = Person.dangerously_unscoped.get(given_name="誠")
    member = HouseholdMember.dangerously_unscoped.get(person=son)
    assert member.household == HouseholdMember.dangerously_unscoped.get(person=mother).household
    assert member.relationship == "child"
    assert son.address == mother.address and son.postal_code == mother.postal_code
    assert "誠" in client.get(f"/people/{mother.pk}/").content.decode()


def test_a_refused_new_member_writes_nothing_and_keeps_the_input(counselor: User) -> None:
    client = client_for(counselor)
    mother = register_person(client)
    client.post(f"/people/{mother.pk}/household/", {"relationship": "head"})
    response = client.post(
        f"/people/{mother.pk}/household/new-member/",
        {"family_name": "髙橋", "given_name": "二郎", "relationship": "head"},  # 2nd head
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "世帯主は既に登録されています" in page and 'value="二郎"' in page
    assert not Person.dangerously_unscoped.filter(given_name="二郎").exists()  # not half-saved


def test_candidates_say_truthfully_why_a_household_is_proposed(counselor: User) -> None:
    client = client_for(counselor)
    same_address = register_person(client, family_name="佐藤", family_name_kana="さとう")
    same_name = register_person(client, address="南町9-9", given_name="良子")
    both = register_person(client, given_name="三郎", given_name_kana="さぶろう")
    for p in (same_address, same_name, both):
        client.post(f"/people/{p.pk}/household/", {"relationship": "head"})
    newcomer = register_person(client, given_name="花", given_name_kana="はな")
    found = household_candidates(user=counselor, person=newcomer)
    reasons = {c.member.person_id: c.reason for c in found}
    assert reasons[same_address.pk] == "住所が同じ"
    assert reasons[same_name.pk] == "姓が同じ（住所は異なるか未登録）"
    assert reasons[both.pk] == "住所と姓が同じ"
    assert found[0].member.person_id == both.pk  # same address and name first
    page = client.get(f"/people/{newcomer.pk}/").content.decode()
    assert "住所が同じ" in page and "姓が同じ（住所は異なるか未登録）" in page


def test_an_unnamed_household_is_named_after_its_members(counselor: User) -> None:
    client = client_for(counselor)
    person = register_person(client)
    client.post(f"/people/{person.pk}/household/", {"relationship": "head"})
    household = Household.dangerously_unscoped.get()
    assert household.name == "髙橋さん世帯"
    assert "世帯 " not in str(Household(name=""))  # never a bare number
