"""Staff forms of 地域づくり相談, マッチング and 来所者数, and the roster of 担い手: who may,
forms sent twice, Japanese errors, paging, history, and what the counts count."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.core.once import form_token_new
from tsunagu.organizations.models import Area, Municipality, Organization
from tsunagu.resources import selectors
from tsunagu.resources.models import (
    Activity,
    AttendanceCount,
    CommunityConsultation,
    CommunityResource,
    CommunityWorker,
    Matching,
    PublicInterestInitiative,
)
from tsunagu.resources.services import (
    ActivityData,
    MatchingData,
    PublicInterestInitiativeData,
    WorkerData,
    activity_create,
    matching_create,
    public_interest_initiative_create,
    worker_create,
)

pytestmark = pytest.mark.django_db


def _consultation(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "received_on": "2026-04-10",
        "party": "group",
        "party_name": "北自治会",
        "summary": "サロンを始めたい",
        "status": "open",
        "form_token": form_token_new(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_consultation_is_recorded_once_edited_with_history(
    counselor: User, third: User, outsider: User
) -> None:
    client = client_for(counselor)
    url = reverse("resources:community_consultation_create")
    assert client.get(url).status_code == 200
    own = Organization.objects.get(code="hokatsu-kita")
    data = _consultation(organization=own.pk)
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the same form again: nothing new
    record = CommunityConsultation.objects.get()
    assert record.organization == own
    edit = reverse(
        "resources:community_consultation_edit", kwargs={"community_consultation_id": record.pk}
    )
    assert client.post(edit, _consultation(organization=own.pk, status="closed")).status_code == 302
    record.refresh_from_db()
    assert record.status == "closed"
    page = client.get(edit).content.decode()
    assert "変更履歴" in page and "対応済み" in page
    # the list is read by the whole city; edits by the recording organization (and editors)
    assert (
        "北自治会"
        in client_for(third).get(reverse("resources:community_consultations")).content.decode()
    )
    assert client_for(third).get(edit).status_code == 404
    assert client_for(outsider).get(edit).status_code == 404
    assert (
        "北自治会"
        not in client_for(outsider)
        .get(reverse("resources:community_consultations"))
        .content.decode()
    )


def test_consultation_errors_are_japanese_and_write_nothing(counselor: User) -> None:
    client = client_for(counselor)
    url = reverse("resources:community_consultation_create")
    own = Organization.objects.get(code="hokatsu-kita").pk
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    cases = [
        (_consultation(organization=own, party="resident", party_name="山田太郎"), "市民のときは"),
        (_consultation(organization=own, received_on=tomorrow), "未来の日付"),
        (_consultation(organization=own, received_on="2026-02-30"), "日付"),
        (_consultation(organization=own, summary=""), "このフィールドは必須です"),
        (_consultation(organization=own, party="alien"), "正しく選択してください"),
        (_consultation(organization=own, summary="あ" * 10_000), "300 文字以下"),
        # a counselor records for their own organization only
        (_consultation(organization=Organization.objects.get(code="jiritsu-soudan").pk), "選択"),
    ]
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert message in response.content.decode(), (data, message)
    assert not CommunityConsultation.objects.exists()


def test_matchings_count_only_when_they_came_about(
    counselor: User, salon: CommunityResource, city: Municipality
) -> None:
    client = client_for(counselor)
    own = Organization.objects.get(code="hokatsu-kita").pk
    url = reverse("resources:matching_create")
    base = {
        "matched_on": "2026-05-01",
        "party": "company",
        "party_name": "北商店",
        "resource": salon.pk,
        "organization": own,
        "is_new": "on",
    }
    for status in ("matched", "arranging", "not_matched"):
        response = client.post(url, {**base, "status": status, "form_token": form_token_new()})
        assert response.status_code == 302, response.content.decode()
    counts = selectors.matching_counts(municipality=city, fiscal_year=2026)
    assert counts["company"] == selectors.MatchingCount(new=1, total=1)
    listing = client.get(reverse("resources:matchings") + "?status=arranging").content.decode()
    assert "調整中" in listing and listing.count("北商店") == 1
    arranging = Matching.objects.get(status="arranging")
    edit = reverse("resources:matching_edit", kwargs={"matching_id": arranging.pk})
    assert client.post(edit, {**base, "status": "matched", "is_new": ""}).status_code == 302
    counts = selectors.matching_counts(municipality=city, fiscal_year=2026)
    assert counts["company"] == selectors.MatchingCount(new=1, total=2)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    bad = client.post(url, {**base, "status": "matched", "matched_on": future})
    assert "未来の日付" in bad.content.decode()
    # a future date is fine while it is being arranged
    ok = client.post(url, {**base, "status": "arranging", "matched_on": future})
    assert ok.status_code == 302


def test_attendance_forms(
    counselor: User, third: User, lsc: User, salon: CommunityResource, city: Municipality
) -> None:
    client = client_for(counselor)
    url = reverse("resources:attendance_create")
    data = {
        "resource": salon.pk,
        "period_start": "2026-04-01",
        "period_end": "2026-04-30",
        "visits": "120",
        "unique_visitors": "35",
        "form_token": form_token_new(),
    }
    assert client.post(url, data).status_code == 302
    again = client.post(url, {**data, "form_token": form_token_new()})
    assert "既に記録されています" in again.content.decode()
    fresh = {"form_token": form_token_new()}
    wrong = client.post(
        url, {**data, **fresh, "period_start": "2026-05-01", "unique_visitors": "999"}
    )
    assert "実人数は0以上、延べ人数以下" in wrong.content.decode()
    reversed_period = client.post(
        url, {**data, **fresh, "period_start": "2026-05-31", "period_end": "2026-05-01"}
    )
    assert "期間の終了が開始より前" in reversed_period.content.decode()
    assert AttendanceCount.objects.count() == 1
    record = AttendanceCount.objects.get()
    edit = reverse("resources:attendance_edit", kwargs={"attendance_id": record.pk})
    assert client.post(edit, {**data, "visits": "130"}).status_code == 302
    record.refresh_from_db()
    assert record.visits == 130 and record.history.count() == 2
    # another agency reads the list but neither records nor edits
    assert client_for(third).get(reverse("resources:attendance")).status_code == 200
    assert client_for(third).get(url).status_code == 404
    assert client_for(third).get(edit).status_code == 404
    assert client_for(lsc).get(edit).status_code == 200


def test_lists_are_paged(lsc: User) -> None:
    for i in range(55):
        CommunityConsultation.objects.create(
            municipality=lsc.organization.municipality,  # type: ignore[union-attr]
            received_on=dt.date(2026, 4, 1) + dt.timedelta(days=i % 20),
            party="company",
            party_name=f"会社{i}",
            summary="相談",
        )
    client = client_for(lsc)
    first = client.get(reverse("resources:community_consultations")).content.decode()
    second = client.get(reverse("resources:community_consultations") + "?page=2").content.decode()
    assert "1 / 2" in first and "2 / 2" in second
    assert client.get(reverse("resources:community_consultations") + "?page=x").status_code == 200


# --- the roster of 担い手 -------------------------------------------------------------------


def test_only_the_city_editors_see_the_roster(
    lsc: User, counselor: User, third: User, outsider: User, city: Municipality
) -> None:
    worker = worker_create(user=lsc, data=WorkerData(kind="volunteer", name="北野 花子"))
    for url in (
        reverse("resources:workers"),
        reverse("resources:worker_create"),
        reverse("resources:worker_edit", kwargs={"worker_id": worker.pk}),
    ):
        assert client_for(lsc).get(url).status_code == 200
        for other in (counselor, third, outsider):
            assert client_for(other).get(url).status_code == 404, (other, url)
    assert (
        "担い手" not in client_for(counselor).get(reverse("resources:activities")).content.decode()
    )
    # never on the public pages nor in the HSDS file
    assert "北野" not in client_for(None).get(f"/map/{city.slug}/").content.decode()
    assert (
        "北野" not in client_for(None).get(f"/map/{city.slug}/hsds/services.json").content.decode()
    )


def test_the_roster_form_and_its_counts(lsc: User, city: Municipality) -> None:
    course = activity_create(
        user=lsc,
        data=ActivityData(
            kind="course", title="生活支援サポーター養成講座", held_on=dt.date(2026, 6, 1)
        ),
    )
    client = client_for(lsc)
    url = reverse("resources:worker_create")
    area = Area.objects.get(municipality=city, code="kita")
    data = {
        "kind": "commissioner_helper",
        "name": "南 一郎",
        "name_kana": "みなみ いちろう",
        "started_on": "2025-04-01",
        "trainings": [course.pk],
        "form_token": form_token_new(),
    }
    missing_area = client.post(url, data)
    assert "地区を選んでください" in missing_area.content.decode()
    ended_before = client.post(url, {**data, "area": area.pk, "ended_on": "2024-01-01"})
    assert "活動終了日が活動開始日より前" in ended_before.content.decode()
    assert not CommunityWorker.dangerously_unscoped.exists()
    assert client.post(url, {**data, "area": area.pk}).status_code == 302
    assert client.post(url, {**data, "area": area.pk}).status_code == 302  # sent twice: once
    worker = CommunityWorker.dangerously_unscoped.get()
    assert list(worker.trainings.all()) == [course]
    edit = reverse("resources:worker_edit", kwargs={"worker_id": worker.pk})
    assert client.post(edit, {**data, "area": area.pk, "ended_on": "2027-03-31"}).status_code == 302
    assert "変更履歴" in client.get(edit).content.decode()
    worker_create(
        user=lsc,
        data=WorkerData(
            kind="volunteer",
            name="東 二郎",
            ended_on=dt.date(2020, 1, 1),
            started_on=dt.date(2019, 1, 1),
        ),
    )
    counts = {r.kind: r for r in selectors.roster_counts(municipality=city, fiscal_year=2026)}
    assert counts["commissioner_helper"].active == 1 and counts["commissioner_helper"].trained == 1
    assert counts["volunteer"].active == 0  # ended before the year
    listing = client.get(reverse("resources:workers")).content.decode()
    assert "南 一郎" in listing and "生活支援サポーター養成講座" in listing
    assert (
        "担い手（年度中に活動した人数）"
        in client.get(reverse("resources:counts") + "?fy=2026").content.decode()
    )


def test_a_roster_entry_takes_nothing_of_another_city(
    lsc: User, outsider: User, other_city: Municipality
) -> None:
    foreign = Activity.objects.create(
        municipality=other_city, kind="course", title="他市の講座", held_on=dt.date(2026, 5, 1)
    )
    with pytest.raises(Exception, match="他の市の講座"):
        worker_create(user=lsc, data=WorkerData(kind="volunteer", name="x", trainings=[foreign]))
    assert not CommunityWorker.dangerously_unscoped.exists()


def test_a_matching_of_another_citys_resource_is_refused(
    outsider: User, salon: CommunityResource
) -> None:
    with pytest.raises(Exception, match="他の市の社会資源"):
        matching_create(
            user=outsider,
            data=MatchingData(matched_on=dt.date(2026, 5, 1), party="group", resource=salon),
        )
    assert not Matching.objects.exists()


# --- 社会福祉法人の公益的な取組 ------------------------------------------------------------


def _initiative(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "corporation": "社会福祉法人 みなみ福祉会",
        "title": "子ども食堂の開催",
        "description": "施設の交流スペースで月1回",
        "started_on": "2026-04-01",
        "ended_on": "",
        "participants": "120",
        "form_token": form_token_new(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_initiative_is_recorded_once_edited_with_history(
    counselor: User, third: User, outsider: User
) -> None:
    client = client_for(counselor)
    url = reverse("resources:public_interest_initiative_create")
    assert client.get(url).status_code == 200
    own = Organization.objects.get(code="hokatsu-kita")
    data = _initiative(organization=own.pk)
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the same form again: nothing new
    record = PublicInterestInitiative.objects.get()
    assert record.organization == own and record.participants == 120
    edit = reverse(
        "resources:public_interest_initiative_edit",
        kwargs={"public_interest_initiative_id": record.pk},
    )
    changed = _initiative(organization=own.pk, ended_on="2027-03-31", participants="150")
    assert client.post(edit, changed).status_code == 302
    record.refresh_from_db()
    assert record.ended_on == dt.date(2027, 3, 31) and record.participants == 150
    page = client.get(edit).content.decode()
    assert "変更履歴" in page and "150" in page
    # the list is read by the whole city; edits by the recording organization (and editors)
    listing = client_for(third).get(reverse("resources:public_interest_initiatives"))
    assert "みなみ福祉会" in listing.content.decode()
    assert client_for(third).get(edit).status_code == 404
    assert client_for(outsider).get(edit).status_code == 404
    foreign = client_for(outsider).get(reverse("resources:public_interest_initiatives"))
    assert "みなみ福祉会" not in foreign.content.decode()


def test_a_bad_initiative_is_refused_in_japanese(counselor: User) -> None:
    client = client_for(counselor)
    url = reverse("resources:public_interest_initiative_create")
    own = Organization.objects.get(code="hokatsu-kita").pk
    for bad, message in (
        (_initiative(organization=own, ended_on="2026-03-31"), "終了日は開始日より後"),
        (_initiative(organization=own, corporation=""), "このフィールドは必須です"),
        (_initiative(organization=own, participants="-1"), "0 以上"),
        (_initiative(organization=own, started_on="2026-02-30"), "日付"),
        (_initiative(organization=own, title="あ" * 201), "200 文字以下"),
        (_initiative(organization=own, corporation="　"), "必須"),
    ):
        response = client.post(url, bad)
        assert response.status_code == 200
        assert message in response.content.decode(), message
    other = (
        Organization.objects.exclude(code="hokatsu-kita")
        .filter(municipality=counselor.organization.municipality)  # type: ignore[union-attr]
        .first()
    )
    assert other is not None
    response = client.post(url, _initiative(organization=other.pk))
    assert response.status_code == 200
    assert not PublicInterestInitiative.objects.exists()


def test_initiatives_are_paged(lsc: User) -> None:
    for i in range(55):
        PublicInterestInitiative.objects.create(
            municipality=lsc.organization.municipality,  # type: ignore[union-attr]
            corporation=f"法人{i}",
            title="取組",
            started_on=dt.date(2026, 4, 1) + dt.timedelta(days=i % 20),
        )
    client = client_for(lsc)
    url = reverse("resources:public_interest_initiatives")
    assert "1 / 2" in client.get(url).content.decode()
    assert "2 / 2" in client.get(url + "?page=2").content.decode()
    assert client.get(url + "?page=x").status_code == 200


def test_initiative_counts_per_fiscal_year(lsc: User, city: Municipality) -> None:
    def make(corporation: str, start: dt.date, end: dt.date | None, people: int | None) -> None:
        public_interest_initiative_create(
            user=lsc,
            data=PublicInterestInitiativeData(
                corporation=corporation,
                title="取組",
                started_on=start,
                ended_on=end,
                participants=people,
            ),
        )

    make("社会福祉法人 甲会", dt.date(2025, 10, 1), None, 100)  # under way since FY2025
    make("社会福祉法人 甲会", dt.date(2026, 5, 1), dt.date(2026, 6, 30), 20)
    make("社会福祉法人 乙会", dt.date(2026, 4, 1), dt.date(2027, 3, 31), None)
    make("社会福祉法人 丙会", dt.date(2025, 4, 1), dt.date(2026, 3, 31), 7)  # ended in FY2025
    make("社会福祉法人 丁会", dt.date(2027, 4, 1), None, 5)  # begins in FY2027
    counts = selectors.public_interest_counts(municipality=city, fiscal_year=2026)
    assert counts == selectors.PublicInterestCount(corporations=2, initiatives=3, participants=120)
    before = selectors.public_interest_counts(municipality=city, fiscal_year=2025)
    assert before == selectors.PublicInterestCount(corporations=2, initiatives=2, participants=107)
    page = client_for(lsc).get(reverse("resources:counts") + "?fy=2026").content.decode()
    assert "公益的な取組" in page and "2 法人" in page
    with pytest.raises(ValidationError):
        make("社会福祉法人 戊会", dt.date(2026, 5, 1), dt.date(2026, 4, 1), None)
    assert not PublicInterestInitiative.objects.filter(corporation__contains="戊").exists()
