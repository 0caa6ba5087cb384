"""The intake pages, end to end through the UI: a counselor records a consultation, refers it
with consent to another window; that window accepts it and sees the content without retyping;
a third organization sees nothing; the reads are in the person's access log. Every page is
tested anonymous / other organization / permitted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Consultation
from tsunagu.core.tests.downloads import download_text
from tsunagu.organizations.models import Organization
from tsunagu.people.models import Person
from tsunagu.referrals.models import Referral


def org_id(code: str) -> int:
    return Organization.objects.get(municipality__slug="minami", code=code).pk


def register_person(client: Client, **extra: str) -> Person:
    data = {
        "family_name": "髙橋",
        "given_name": "和子",
        "family_name_kana": "たかはし",
        "given_name_kana": "かずこ",
        "birth_date": "1944-02-03",
        "sex": "female",
        "postal_code": "939-0351",
        "address": "北町1丁目2番3号",
        "phone": "0766-11-2222",
        **extra,
    }
    response = client.post("/people/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Person.dangerously_unscoped.latest("pk")


def take_consultation(client: Client, person: Person | None, **extra: str) -> Consultation:
    data = {
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "channel": "window",
        "requester": "self",
        "topics": ["care", "income"],
        "main_topic": "8050",
        "content": "母（80代）の介護と、同居の息子（50代）の収入がない。<b>急ぎ</b>",
        "response": "referral",
        "is_new": "1",
        **extra,
    }
    url = f"/consultations/new/?person={person.pk}" if person else "/consultations/new/"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Consultation.dangerously_unscoped.latest("pk")


def test_the_whole_loop_through_the_ui(
    counselor: User, receiver: User, third: User, manager: User
) -> None:
    sender, other, outsider = client_for(counselor), client_for(receiver), client_for(third)
    person = register_person(sender)
    consultation = take_consultation(sender, person)
    assert consultation.topics.count() == 3  # main topic joins the topics

    # consent, then the referral
    response = sender.post(
        "/consents/new/",
        {
            "person": person.pk,
            "method": "written",
            "purpose": "支援のための情報共有",
            "scope_organizations": [org_id("jiritsu-soudan")],
            "valid_from": timezone.localdate(),
        },
    )
    assert response.status_code == 302
    consent_id = person.consents.get().pk
    response = sender.post(
        "/referrals/new/",
        {
            "consultation": consultation.pk,
            "to_organization": org_id("jiritsu-soudan"),
            "reason": "息子さんの就労と家計の相談",
            "share_content": "on",
            "share_contact": "on",
            "basis": "consent",
            "consent": consent_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    referral = Referral.dangerously_unscoped.get()

    # the receiving window: inbox badge, the shared content, accept, complete
    inbox = other.get("/referrals/?box=in").content.decode()
    assert "髙橋 和子" in inbox and 'aria-label="対応待ち 1 件"' in inbox
    page = other.get(f"/referrals/{referral.pk}/").content.decode()
    assert "母（80代）の介護" in page and "&lt;b&gt;急ぎ&lt;/b&gt;" in page  # escaped, not bold
    assert "0766-11-2222" in page and "北町1丁目" not in page  # the address was not shared
    assert other.get(f"/consultations/{consultation.pk}/").status_code == 200
    assert other.post(f"/referrals/{referral.pk}/accept/").status_code == 302
    assert (
        other.post(f"/referrals/{referral.pk}/complete/", {"outcome": "家計相談を開始"}).status_code
        == 302
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COMPLETED
    assert "家計相談を開始" in sender.get(f"/referrals/{referral.pk}/").content.decode()

    # the third organization sees nothing, by any page
    for url in (
        f"/people/{person.pk}/",
        f"/consultations/{consultation.pk}/",
        f"/referrals/{referral.pk}/",
        f"/people/{person.pk}/access-log/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert "髙橋" not in outsider.get("/referrals/?box=in").content.decode()
    assert "髙橋" not in outsider.get("/consultations/").content.decode()
    assert "髙橋" not in outsider.get("/people/?q=たかはし").content.decode()

    # both organizations' reads are in the person's access log, with their basis
    log = AccessLog.objects.filter(person=person, action=AccessLog.Action.VIEW)
    assert log.filter(organization__code="hokatsu-kita", via="own").exists()
    receiver_reads = log.filter(organization__code="jiritsu-soudan", via="grant")
    assert receiver_reads.exists()
    assert all(e.grant and e.grant.referral == referral for e in receiver_reads)
    log_page = client_for(manager)  # manager of 地域福祉課: not the holding organization
    assert log_page.get(f"/people/{person.pk}/access-log/").status_code == 404


def test_access_log_page_is_for_managers_of_the_holding_organization(
    counselor: User, city: object
) -> None:
    from conftest import make_user
    from tsunagu.accounts.models import Role

    person = register_person(client_for(counselor))
    boss = make_user(city, "hokatsu-kita", Role.MANAGER, "hokatsu-manager")  # type: ignore[arg-type]
    assert client_for(counselor).get(f"/people/{person.pk}/access-log/").status_code == 404
    page = client_for(boss).get(f"/people/{person.pk}/access-log/")
    assert page.status_code == 200 and "登録" in page.content.decode()
    csv_response = client_for(boss).get(f"/people/{person.pk}/access-log/?format=csv")
    assert "北地域包括支援センター" in download_text(csv_response)


@pytest.mark.parametrize(
    "url", ["/people/", "/people/new/", "/consultations/", "/consultations/new/", "/referrals/"]
)
def test_anonymous_users_go_to_login(url: str, db: None) -> None:
    response = Client().get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_object_pages_other_organization_gets_404(
    counselor: User, third: User, outsider: User
) -> None:
    sender = client_for(counselor)
    person = register_person(sender)
    consultation = take_consultation(sender, person)
    for user in (third, outsider):
        client = client_for(user)
        for url in (
            f"/people/{person.pk}/",
            f"/people/{person.pk}/edit/",
            f"/consultations/{consultation.pk}/",
            f"/consultations/new/?person={person.pk}",
            f"/consents/new/?person={person.pk}",
            f"/referrals/new/?consultation={consultation.pk}",
        ):
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(f"/consultations/{consultation.pk}/follow-up/", {}).status_code == 404
    # a record that does not exist looks the same
    assert client_for(third).get("/people/999999/").status_code == 404


def test_a_grantee_cannot_change_or_re_refer(counselor: User, receiver: User) -> None:
    sender = client_for(counselor)
    person = register_person(sender)
    consultation = take_consultation(sender, person)
    sender.post(
        "/referrals/new/",
        {
            "consultation": consultation.pk,
            "to_organization": org_id("jiritsu-soudan"),
            "reason": "通報",
            "basis": "statute",
            "statute": "elder-abuse-7",
            "share_content": "on",
        },
    )
    other = client_for(receiver)
    assert other.get(f"/people/{person.pk}/").status_code == 200
    assert other.get(f"/people/{person.pk}/edit/").status_code == 404
    assert other.get(f"/referrals/new/?consultation={consultation.pk}").status_code == 404
    assert other.get(f"/consents/new/?person={person.pk}").status_code == 404


def test_bad_input_gets_japanese_errors_and_nothing_is_saved(counselor: User) -> None:
    client = client_for(counselor)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    for data, message in (
        ({"birth_date": future, "family_name": "山田"}, "未来"),
        ({"birth_date": "2026-02-30", "family_name": "山田"}, "日付"),
        ({"family_name": "", "given_name": ""}, "氏名かふりがな"),
        ({"family_name": "山田", "family_name_kana": "Yamada"}, "ひらがなかカタカナ"),
        ({"family_name": "山田", "postal_code": "12-345"}, "郵便番号"),
    ):
        response = client.post("/people/new/", data)
        assert response.status_code == 200
        assert message in response.content.decode(), data
    assert not Person.dangerously_unscoped.exists()
    person = register_person(client)
    response = client.post(
        f"/consultations/new/?person={person.pk}",
        {
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": "window",
            "requester": "self",
            "topics": ["nonsense"],
            "main_topic": "care",
            "content": "x",
            "response": "information",
            "is_new": "1",
        },
    )
    assert response.status_code == 200 and "候補にありません" in response.content.decode()
    response = client.post(
        "/consultations/new/",
        {
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": "window",
            "requester": "self",
            "main_topic": "care",
            "content": "x",
            "response": "information",
            "is_new": "1",
        },
    )
    assert "匿名・未特定の呼び名" in response.content.decode()
    assert not Consultation.dangerously_unscoped.exists()


def test_anonymous_consultation_can_be_linked_later(counselor: User) -> None:
    client = client_for(counselor)
    consultation = take_consultation(
        client,
        None,
        anonymous_label="北町の高齢男性",
        requester="minsei_iin",
        requester_detail="民生委員",
    )
    assert consultation.person is None
    person = register_person(client)
    page = client.get(f"/people/?q=たかはし かずこ&link={consultation.pk}").content.decode()
    assert "この相談と結びつける" in page
    client.post(f"/consultations/{consultation.pk}/link-person/", {"person": person.pk})
    consultation.refresh_from_db()
    assert consultation.person == person


def test_follow_up_counts_as_total_not_new(counselor: User) -> None:
    client = client_for(counselor)
    consultation = take_consultation(client, register_person(client))
    response = client.post(
        f"/consultations/{consultation.pk}/follow-up/",
        {
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": "phone",
            "content": "電話で状況確認",
            "response": "ongoing",
        },
    )
    assert response.status_code == 302
    follow = Consultation.dangerously_unscoped.latest("pk")
    assert (
        follow.follows == consultation
        and not follow.is_new
        and follow.person == consultation.person
    )
    page = client.get("/consultations/").content.decode()
    assert "電話" in page
    counts = client.get("/consultations/").context["counts"]
    assert (counts.new, counts.total) == (1, 2)


def test_search_finds_variants_and_says_only_where_else_a_person_is_known(
    counselor: User, third: User
) -> None:
    person = register_person(client_for(counselor))
    client = client_for(counselor)
    for q in ("高橋和子", "ﾀｶﾊｼ ｶｽﾞｺ", "たかはし　かずこ", "0766112222"):
        body = client.get(f"/people/?q={q}").content.decode()
        assert f"/people/{person.pk}/" in body, q
    body = client_for(third).get("/people/?q=高橋和子&birth_date=1944-02-03").content.decode()
    assert f"/people/{person.pk}/" not in body and "0766" not in body
    assert "北地域包括支援センター" in body  # only that the person is known, and where
    assert AccessLog.objects.filter(
        person=person, action=AccessLog.Action.SEARCH, organization__code="hokatsu-kita"
    ).exists()


def test_address_protection_is_masked_for_the_receiver(counselor: User, receiver: User) -> None:
    sender = client_for(counselor)
    person = register_person(sender, address_protected="on", address_protection_until="2027-03-31")
    consultation = take_consultation(sender, person)
    form_page = sender.get(f"/referrals/new/?consultation={consultation.pk}").content.decode()
    assert "住所秘匿" in form_page
    response = sender.post(
        "/referrals/new/",
        {
            "consultation": consultation.pk,
            "to_organization": org_id("jiritsu-soudan"),
            "reason": "DV避難中の生活再建",
            "basis": "statute",
            "statute": "dv-6",
            "share_content": "on",
            "share_address": "on",
        },
    )
    assert "確認欄にチェック" in response.content.decode()
    sender.post(
        "/referrals/new/",
        {
            "consultation": consultation.pk,
            "to_organization": org_id("jiritsu-soudan"),
            "reason": "DV避難中の生活再建",
            "basis": "statute",
            "statute": "dv-6",
            "share_content": "on",
            "share_address": "on",
            "acknowledge_address_protection": "on",
        },
    )
    page = client_for(receiver).get(f"/people/{person.pk}/").content.decode()
    assert "（住所秘匿）" in page and "北町1丁目" not in page and "939-0351" not in page


def test_postal_code_fills_the_address_offline(counselor: User) -> None:
    client = client_for(counselor)
    response = client.get("/people/postal-address/?postal_code=939-0351")
    assert response.json() == {"address": "富山県射水市戸破", "message": ""}
    missing = client.get("/people/postal-address/?postal_code=0000000")
    assert "見つかりません" in missing.json()["message"]


def test_household_shows_the_8050_picture(counselor: User) -> None:
    client = client_for(counselor)
    mother = register_person(
        client, given_name="トメ", given_name_kana="とめ", birth_date="1944-02-03"
    )
    son = register_person(
        client, given_name="一郎", given_name_kana="いちろう", birth_date="1974-06-01"
    )
    client.post(
        f"/people/{mother.pk}/household/",
        {"relationship": "head", "household_name": "髙橋さん世帯"},
    )
    household_id = mother.household_membership.household_id
    client.post(
        f"/people/{son.pk}/household/", {"relationship": "child", "household": household_id}
    )
    page = client.get(f"/people/{son.pk}/").content.decode()
    assert "世帯主" in page and "髙橋 トメ" in page and "子" in page


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_pages_do_not_grow_queries_with_rows(counselor: User, receiver: User) -> None:
    from tsunagu.access.models import Basis
    from tsunagu.consent.services import consent_record
    from tsunagu.referrals.services import ReferralData, referral_create

    sender, other = client_for(counselor), client_for(receiver)
    target = Organization.objects.get(pk=org_id("jiritsu-soudan"))

    def add(n: int) -> None:
        for i in range(n):
            person = register_person(sender, given_name=f"和子{i}", phone=f"0766-11-{2000 + i}")
            consultation = take_consultation(sender, person)
            consent = consent_record(
                user=counselor,
                person=person,
                method="written",
                purpose="共有",
                scope_organizations=[target],
                valid_from=timezone.localdate(),
                valid_until=None,
            )
            referral_create(
                user=counselor,
                consultation=consultation,
                data=ReferralData(
                    to_organization=target, reason="相談", basis=Basis.CONSENT, consent=consent
                ),
            )

    add(2)
    few = [
        _queries(sender, "/consultations/"),
        _queries(other, "/referrals/?box=in"),
        _queries(sender, "/referrals/?box=out"),
        _queries(sender, "/people/?q=たかはし かずこ"),
    ]
    add(8)
    many = [
        _queries(sender, "/consultations/"),
        _queries(other, "/referrals/?box=in"),
        _queries(sender, "/referrals/?box=out"),
        _queries(sender, "/people/?q=たかはし かずこ"),
    ]
    assert few == many
    assert max(many) <= 20
