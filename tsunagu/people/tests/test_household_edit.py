"""The household's own edit page (呼び名, 住所秘匿): its holder only, logged, kept in the
household's change history, and versioned so that a stale save is refused by name with what
was typed kept (`core.history.refuse_stale`)."""

from __future__ import annotations

from conftest import client_for, make_user
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import Role, User
from tsunagu.consultations.tests.test_pages import register_person
from tsunagu.organizations.models import Municipality
from tsunagu.people.access import ADDRESS_MASK
from tsunagu.people.models import Household, HouseholdMember, Person
from tsunagu.people.tests.test_api import share


def _household(counselor: User) -> tuple[Person, Household]:
    client = client_for(counselor)
    mother = register_person(client)
    assert client.post(f"/people/{mother.pk}/household/", {"relationship": "head"}).status_code
    return mother, HouseholdMember.dangerously_unscoped.get(person=mother).household


def _url(household: Household, person: Person) -> str:
    return f"/people/households/{household.pk}/edit/?person={person.pk}"


def test_the_holder_edits_the_household_logged_and_in_its_history(counselor: User) -> None:
    mother, household = _household(counselor)
    client = client_for(counselor)
    person_page = client.get(f"/people/{mother.pk}/").content.decode()
    assert f"/people/households/{household.pk}/edit/" in person_page
    page = client.get(_url(household, mother))
    body = page.content.decode()
    assert page.status_code == 200 and f'name="version" value="{household.version}"' in body
    assert mother.full_name in body
    assert AccessLog.objects.filter(
        user=counselor, action="view", object_type="people.household", object_id=str(household.pk)
    ).exists()
    version = household.version
    response = client.post(
        _url(household, mother),
        {"name": "髙橋さん宅", "address_protected": "on", "version": str(version)},
    )
    assert response.status_code == 302 and response["Location"] == f"/people/{mother.pk}/"
    household.refresh_from_db()
    assert household.name == "髙橋さん宅" and household.address_protected
    assert household.version == version + 1
    latest = household.history.latest("history_id")
    assert latest.history_user == counselor and latest.history_channel == "web"
    assert latest.name == "髙橋さん宅"
    assert AccessLog.objects.filter(
        user=counselor, action="update", object_type="people.household", person_id=mother.pk
    ).exists()
    edited = client.get(_url(household, mother)).content.decode()
    assert "変更履歴" in edited and "髙橋さん宅" in edited
    assert "住所秘匿" in client.get(f"/people/{mother.pk}/").content.decode()


def test_a_stale_household_save_is_refused_and_keeps_what_was_typed(
    counselor: User, city: Municipality
) -> None:
    colleague = make_user(city, "hokatsu-kita", Role.COUNSELOR, "colleague")
    mother, household = _household(counselor)
    version = household.version
    first = client_for(colleague).post(
        _url(household, mother), {"name": "同僚が付けた呼び名", "version": str(version)}
    )
    assert first.status_code == 302
    second = client_for(counselor).post(
        _url(household, mother),
        {"name": "古い画面の呼び名", "address_protected": "on", "version": str(version)},
    )
    assert second.status_code == 200
    body = second.content.decode()
    assert "colleague" in body and "さんが変更しました" in body and "世帯の呼び名" in body
    assert 'value="古い画面の呼び名"' in body  # what was typed stays in the form
    assert f'name="version" value="{version + 1}"' in body  # the current one
    household.refresh_from_db()
    assert household.name == "同僚が付けた呼び名" and not household.address_protected
    # after reading the message, saving again is a deliberate overwrite
    again = client_for(counselor).post(
        _url(household, mother), {"name": "古い画面の呼び名", "version": str(version + 1)}
    )
    assert again.status_code == 302
    household.refresh_from_db()
    assert household.name == "古い画面の呼び名"


def test_bad_input_is_named_and_nothing_is_saved(counselor: User) -> None:
    mother, household = _household(counselor)
    client = client_for(counselor)
    before = household.name
    response = client.post(
        _url(household, mother),
        {"name": "髙橋さん宅", "address_protection_until": "2027-03-31", "version": "1"},
    )
    assert response.status_code == 200
    assert "住所秘匿の期限は住所秘匿のときだけ入力します" in response.content.decode()
    no_version = client.post(_url(household, mother), {"name": "髙橋さん宅"})
    assert "画面を開き直してから" in no_version.content.decode()
    household.refresh_from_db()
    assert household.name == before


def test_another_organization_gets_404_even_when_it_may_see_a_member(
    counselor: User, receiver: User, outsider: User
) -> None:
    mother, household = _household(counselor)
    share(counselor, mother.pk, share_address=True)  # the receiver may see the mother
    assert client_for(receiver).get(f"/people/{mother.pk}/").status_code == 200
    for user in (receiver, outsider):
        client = client_for(user)
        assert client.get(_url(household, mother)).status_code == 404
        response = client.post(_url(household, mother), {"name": "乗っ取り", "version": "1"})
        assert response.status_code == 404
    household.refresh_from_db()
    assert household.name != "乗っ取り"


def test_household_address_protection_masks_the_address_for_a_grantee(
    counselor: User, receiver: User
) -> None:
    mother, household = _household(counselor)
    share(counselor, mother.pk, share_address=True)
    seen = client_for(receiver).get(f"/people/{mother.pk}/").content.decode()
    assert "北町1丁目2番3号" in seen  # shared, not protected yet
    response = client_for(counselor).post(
        _url(household, mother),
        {"name": household.name, "address_protected": "on", "version": str(household.version)},
    )
    assert response.status_code == 302
    seen = client_for(receiver).get(f"/people/{mother.pk}/").content.decode()
    assert "北町1丁目2番3号" not in seen and ADDRESS_MASK in seen
    # the holder still sees it, and the edit page never shows a member's address
    assert "北町1丁目2番3号" in client_for(counselor).get(f"/people/{mother.pk}/").content.decode()
    page = client_for(counselor).get(_url(household, mother)).content.decode()
    assert "北町1丁目2番3号" not in page
