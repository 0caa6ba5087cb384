"""Forms of the staff pages and the public search. The rules live in the services; a form only
reads the input and turns it into the services' data. Create forms carry the
one-time form token (`core.once`): sending the same form twice creates one record; the same
classes edit a record with `once=False`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from tsunagu.core.once import OnceFormMixin
from tsunagu.organizations.models import Area, Organization
from tsunagu.resources.models import (
    Activity,
    Audience,
    Category,
    CommunityConsultation,
    CommunityResource,
    CommunityWorker,
    Location,
    Matching,
    Party,
    Provider,
    Schedule,
)
from tsunagu.resources.recurrence import WEEK_OF_MONTH_LABELS, WEEKDAY_LABELS, WEEKDAYS
from tsunagu.resources.services import (
    ActivityData,
    AttendanceData,
    CommunityConsultationData,
    ContactData,
    LocationData,
    MatchingData,
    ProviderData,
    PublicInterestInitiativeData,
    ResourceData,
    ScheduleData,
    WorkerData,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAY_CHOICES = [(c, f"{WEEKDAY_LABELS[c]}曜日") for c in WEEKDAYS]


class ProviderForm(OnceFormMixin):
    name = forms.CharField(label="団体名", max_length=200)
    name_kana = forms.CharField(label="団体名（よみ）", max_length=200, required=False)
    description = forms.CharField(label="団体の紹介", widget=forms.Textarea, required=False)
    url = forms.URLField(label="ホームページ", required=False, assume_scheme="https")
    email = forms.EmailField(label="メール", required=False)
    phone = forms.CharField(label="電話番号", max_length=40, required=False)
    organization = forms.ModelChoiceField(
        label="市の機関（その機関が運営するとき）",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="（市の機関ではない）",
    )

    def __init__(self, *args: object, organizations: QuerySet[Organization], **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]

    def to_data(self) -> ProviderData:
        d = self.cleaned_data
        return ProviderData(
            name=d["name"],
            name_kana=d["name_kana"],
            description=d["description"],
            url=d["url"],
            email=d["email"],
            phone=d["phone"],
            organization=d["organization"],
        )


class LocationForm(OnceFormMixin):
    kind = forms.ChoiceField(label="種別", choices=Location.Kind.choices)
    name = forms.CharField(label="名称", max_length=200)
    postal_code = forms.CharField(label="郵便番号", max_length=8, required=False)
    address = forms.CharField(label="住所", max_length=300, required=False)
    area = forms.ModelChoiceField(
        label="地区", queryset=Area.objects.none(), required=False, empty_label="（指定なし）"
    )
    latitude = forms.DecimalField(
        label="緯度",
        max_digits=9,
        decimal_places=6,
        required=False,
        help_text="住所から位置が定まるときだけ（例: 36.730000）",
    )
    longitude = forms.DecimalField(label="経度", max_digits=9, decimal_places=6, required=False)
    url = forms.URLField(label="URL（オンラインのとき）", required=False, assume_scheme="https")
    transportation = forms.CharField(label="交通", max_length=300, required=False)
    accessibility = forms.CharField(
        label="バリアフリー",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="段差、車いす用トイレ、駐車場、筆談 など",
    )

    def __init__(self, *args: object, areas: QuerySet[Area], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]

    def to_data(self) -> LocationData:
        d = self.cleaned_data
        lat: Decimal | None = d["latitude"]
        lon: Decimal | None = d["longitude"]
        return LocationData(
            kind=d["kind"],
            name=d["name"],
            postal_code=d["postal_code"],
            address=d["address"],
            area=d["area"],
            latitude=lat,
            longitude=lon,
            url=d["url"],
            transportation=d["transportation"],
            accessibility=d["accessibility"],
        )


class ResourceForm(OnceFormMixin):
    provider = forms.ModelChoiceField(
        label="運営団体", queryset=Provider.objects.none(), empty_label="選んでください"
    )
    name = forms.CharField(label="名称", max_length=200)
    name_kana = forms.CharField(label="名称（よみ）", max_length=200, required=False)
    description = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 4}))
    categories = forms.ModelMultipleChoiceField(
        label="分類", queryset=Category.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    status = forms.ChoiceField(label="状況", choices=CommunityResource.Status.choices)
    audiences = forms.MultipleChoiceField(
        label="対象", choices=Audience.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    eligibility_description = forms.CharField(label="参加の条件", max_length=300, required=False)
    minimum_age = forms.IntegerField(
        label="対象年齢（下限）", min_value=0, max_value=130, required=False
    )
    maximum_age = forms.IntegerField(
        label="対象年齢（上限）", min_value=0, max_value=130, required=False
    )
    fees_description = forms.CharField(label="費用", max_length=200, required=False)
    application_process = forms.CharField(label="申込み方法", max_length=300, required=False)
    url = forms.URLField(label="ホームページ", required=False, assume_scheme="https")
    email = forms.EmailField(label="メール", required=False)
    phone = forms.CharField(label="電話番号", max_length=40, required=False)
    locations = forms.ModelMultipleChoiceField(
        label="実施場所（なければ「場所を定めない」）",
        queryset=Location.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    is_public = forms.BooleanField(
        label="社会資源マップに公開する", required=False, help_text="ログインなしで誰でも見られます"
    )
    is_host = forms.BooleanField(label="参加支援の受け入れ先", required=False)
    host_note = forms.CharField(
        label="受け入れの内容・条件", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    last_verified_on = forms.DateField(label="最終確認日", widget=DATE, required=False)

    def __init__(
        self,
        *args: object,
        providers: QuerySet[Provider],
        locations: QuerySet[Location],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["locations"].queryset = locations  # type: ignore[attr-defined]

    @classmethod
    def initial_of(cls, resource: CommunityResource) -> dict[str, object]:
        fields = [
            "provider",
            "name",
            "name_kana",
            "description",
            "status",
            "audiences",
            "eligibility_description",
            "minimum_age",
            "maximum_age",
            "fees_description",
            "application_process",
            "url",
            "email",
            "phone",
            "is_public",
            "is_host",
            "host_note",
            "last_verified_on",
        ]
        initial: dict[str, object] = {f: getattr(resource, f) for f in fields}
        initial["categories"] = list(resource.categories.all())
        initial["locations"] = list(resource.locations.all())
        return initial

    def to_data(self) -> ResourceData:
        d = self.cleaned_data
        return ResourceData(
            provider=d["provider"],
            name=d["name"],
            name_kana=d["name_kana"],
            description=d["description"],
            categories=list(d["categories"]),
            status=d["status"],
            audiences=list(d["audiences"]),
            eligibility_description=d["eligibility_description"],
            minimum_age=d["minimum_age"],
            maximum_age=d["maximum_age"],
            fees_description=d["fees_description"],
            application_process=d["application_process"],
            url=d["url"],
            email=d["email"],
            phone=d["phone"],
            locations=list(d["locations"]),
            is_public=d["is_public"],
            is_host=d["is_host"],
            host_note=d["host_note"],
            last_verified_on=d["last_verified_on"],
        )


class DatesField(forms.CharField):
    """Dates one per line or separated by commas: 2026-05-10, 2026/6/14."""

    def to_python(self, value: object) -> list[dt.date]:  # type: ignore[override]
        text = str(value or "").replace("、", ",").replace("\n", ",")
        out = []
        for part in [p.strip() for p in text.split(",") if p.strip()][:200]:
            try:
                y, m, d = (int(x) for x in part.replace("/", "-").split("-"))
                out.append(dt.date(y, m, d))
            except ValueError as exc:
                raise forms.ValidationError(
                    f"日付「{part[:20]}」を読めません。2026-05-10 のように入力してください"
                ) from exc
        return out


class ScheduleForm(OnceFormMixin):
    kind = forms.ChoiceField(
        label="くり返し", choices=Schedule.Kind.choices, widget=forms.RadioSelect
    )
    weekdays = forms.MultipleChoiceField(
        label="曜日", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    week_of_month = forms.TypedChoiceField(
        label="第◯週（毎月のとき）",
        choices=[("", "—"), *((k, v) for k, v in WEEK_OF_MONTH_LABELS.items())],
        coerce=int,
        empty_value=None,
        required=False,
    )
    dates = DatesField(
        label="日付（日付を指定するとき）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="2026-05-10, 2026-06-14 のように、カンマか改行で区切って",
    )
    opens_at = forms.TimeField(label="開始時刻", widget=TIME, required=False)
    closes_at = forms.TimeField(label="終了時刻", widget=TIME, required=False)
    valid_from = forms.DateField(label="有効期間（開始）", widget=DATE, required=False)
    valid_to = forms.DateField(label="有効期間（終了）", widget=DATE, required=False)
    location = forms.ModelChoiceField(
        label="場所", queryset=Location.objects.none(), required=False
    )
    note = forms.CharField(label="備考", max_length=200, required=False)

    def __init__(self, *args: object, locations: QuerySet[Location], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    def to_data(self) -> ScheduleData:
        d = self.cleaned_data
        return ScheduleData(
            kind=d["kind"],
            weekdays=list(d["weekdays"]),
            week_of_month=d["week_of_month"],
            dates=d["dates"] or [],
            opens_at=d["opens_at"],
            closes_at=d["closes_at"],
            valid_from=d["valid_from"],
            valid_to=d["valid_to"],
            location=d["location"],
            note=d["note"],
        )


class ContactForm(OnceFormMixin):
    name = forms.CharField(label="氏名・窓口名", max_length=100)
    title = forms.CharField(label="役職", max_length=100, required=False)
    department = forms.CharField(label="部署", max_length=100, required=False)
    phone = forms.CharField(label="電話番号", max_length=40, required=False)
    email = forms.EmailField(label="メール", required=False)
    is_public = forms.BooleanField(
        label="社会資源マップに公開する",
        required=False,
        help_text="個人の連絡先は、本人の了解なく公開しないでください",
    )

    def to_data(self) -> ContactData:
        d = self.cleaned_data
        return ContactData(
            name=d["name"],
            title=d["title"],
            department=d["department"],
            phone=d["phone"],
            email=d["email"],
            is_public=d["is_public"],
        )


class ActivityForm(OnceFormMixin):
    kind = forms.ChoiceField(label="種別", choices=Activity.Kind.choices)
    title = forms.CharField(
        label="名称", max_length=200, help_text="例: 生活支援サポーター養成講座"
    )
    held_on = forms.DateField(label="開催日", widget=DATE)
    starts_at = forms.TimeField(label="開始時刻", widget=TIME, required=False)
    ends_at = forms.TimeField(label="終了時刻", widget=TIME, required=False)
    place = forms.CharField(label="会場", max_length=200, required=False)
    resource = forms.ModelChoiceField(
        label="社会資源",
        queryset=CommunityResource.objects.none(),
        required=False,
        empty_label="（指定なし）",
    )
    category = forms.ModelChoiceField(
        label="分類", queryset=Category.objects.all(), required=False, empty_label="（指定なし）"
    )
    organizer = forms.ModelChoiceField(
        label="主催",
        queryset=Organization.objects.none(),
        required=False,
        empty_label="（指定なし）",
    )
    participants = forms.IntegerField(
        label="参加者数", min_value=0, max_value=1_000_000, required=False
    )
    description = forms.CharField(
        label="内容", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    is_public = forms.BooleanField(label="社会資源マップに公開する", required=False)

    def __init__(
        self,
        *args: object,
        resources: QuerySet[CommunityResource],
        organizations: QuerySet[Organization],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]
        self.fields["organizer"].queryset = organizations  # type: ignore[attr-defined]

    @classmethod
    def initial_of(cls, activity: Activity) -> dict[str, object]:
        names = [
            "kind",
            "title",
            "held_on",
            "starts_at",
            "ends_at",
            "place",
            "resource",
            "category",
            "organizer",
            "participants",
            "description",
            "is_public",
        ]
        return {n: getattr(activity, n) for n in names}

    def to_data(self) -> ActivityData:
        d = self.cleaned_data
        return ActivityData(
            kind=d["kind"],
            title=d["title"],
            held_on=d["held_on"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            place=d["place"],
            resource=d["resource"],
            category=d["category"],
            organizer=d["organizer"],
            participants=d["participants"],
            description=d["description"],
            is_public=d["is_public"],
        )


def _not_future(form: forms.Form, name: str, label: str) -> dt.date:
    value: dt.date = form.cleaned_data[name]
    if value > timezone.localdate():
        raise forms.ValidationError(f"{label}に未来の日付は入れられません")
    return value


class _RecordForm(OnceFormMixin):
    """A form whose fields carry the names of its service's data class (`data_class`)."""

    data_class: type[Any]

    @classmethod
    def initial_of(cls, record: object) -> dict[str, object]:
        return {f.name: getattr(record, f.name) for f in dataclass_fields(cls.data_class)}

    def to_data(self) -> Any:
        d = self.cleaned_data
        return self.data_class(**{f.name: d[f.name] for f in dataclass_fields(self.data_class)})


PARTY_NAME_HELP = "団体・企業のときだけ。市民のときは空欄（個人名は記録しません）"


class CommunityConsultationForm(_RecordForm):
    data_class = CommunityConsultationData

    received_on = forms.DateField(label="受付日", widget=DATE)
    party = forms.ChoiceField(label="相談者", choices=Party.choices)
    party_name = forms.CharField(
        label="団体・企業名", max_length=200, required=False, help_text=PARTY_NAME_HELP
    )
    summary = forms.CharField(
        label="内容", max_length=300, help_text="地域活動についての相談の要点"
    )
    resource = forms.ModelChoiceField(
        label="関係する社会資源",
        queryset=CommunityResource.objects.none(),
        required=False,
        empty_label="（指定なし）",
    )
    status = forms.ChoiceField(label="状況", choices=CommunityConsultation.Status.choices)
    organization = forms.ModelChoiceField(
        label="受け付けた機関", queryset=Organization.objects.none(), required=False
    )

    def __init__(
        self,
        *args: object,
        resources: QuerySet[CommunityResource],
        organizations: QuerySet[Organization],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]

    def clean_received_on(self) -> dt.date:
        return _not_future(self, "received_on", "受付日")


class PublicInterestInitiativeForm(_RecordForm):
    data_class = PublicInterestInitiativeData

    corporation = forms.CharField(
        label="社会福祉法人名", max_length=200, help_text="例: 社会福祉法人 みなみ福祉会"
    )
    title = forms.CharField(label="取組名", max_length=200, help_text="例: 子ども食堂の開催")
    description = forms.CharField(
        label="内容", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    started_on = forms.DateField(label="開始日", widget=DATE)
    ended_on = forms.DateField(
        label="終了日", widget=DATE, required=False, help_text="続いているときは空欄"
    )
    participants = forms.IntegerField(
        label="参加者・利用者数（延べ）", min_value=0, max_value=10_000_000, required=False
    )
    resource = forms.ModelChoiceField(
        label="関係する社会資源",
        queryset=CommunityResource.objects.none(),
        required=False,
        empty_label="（指定なし）",
    )
    organization = forms.ModelChoiceField(
        label="記録した機関", queryset=Organization.objects.none(), required=False
    )

    def __init__(
        self,
        *args: object,
        resources: QuerySet[CommunityResource],
        organizations: QuerySet[Organization],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        started, ended = data.get("started_on"), data.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", "終了日は開始日より後にしてください")
        return data


class MatchingForm(_RecordForm):
    data_class = MatchingData

    matched_on = forms.DateField(label="マッチング日", widget=DATE)
    party = forms.ChoiceField(label="つないだ相手", choices=Party.choices)
    party_name = forms.CharField(
        label="団体・企業名", max_length=200, required=False, help_text=PARTY_NAME_HELP
    )
    resource = forms.ModelChoiceField(
        label="つないだ先の社会資源", queryset=CommunityResource.objects.none()
    )
    is_new = forms.BooleanField(
        label="新規（この相手を初めてつないだ）", required=False, initial=True
    )
    status = forms.ChoiceField(
        label="状況", choices=Matching.Status.choices, initial=Matching.Status.MATCHED
    )
    note = forms.CharField(label="内容", max_length=300, required=False)
    organization = forms.ModelChoiceField(
        label="つないだ機関", queryset=Organization.objects.none(), required=False
    )

    def __init__(
        self,
        *args: object,
        resources: QuerySet[CommunityResource],
        organizations: QuerySet[Organization],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("matched_on")
        if (
            isinstance(day, dt.date)
            and day > timezone.localdate()
            and data.get("status") != Matching.Status.ARRANGING
        ):
            self.add_error("matched_on", "成立・不成立の日に未来の日付は入れられません")
        return data


class AttendanceForm(_RecordForm):
    data_class = AttendanceData

    resource = forms.ModelChoiceField(
        label="居場所・拠点", queryset=CommunityResource.objects.none()
    )
    period_start = forms.DateField(label="期間（開始）", widget=DATE, help_text="ふつうは月の初日")
    period_end = forms.DateField(label="期間（終了）", widget=DATE, help_text="ふつうは月の末日")
    visits = forms.IntegerField(label="延べ人数", min_value=0, max_value=10_000_000)
    unique_visitors = forms.IntegerField(
        label="実人数", min_value=0, max_value=10_000_000, required=False
    )

    def __init__(
        self, *args: object, resources: QuerySet[CommunityResource], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = resources  # type: ignore[attr-defined]

    def clean_period_start(self) -> dt.date:
        return _not_future(self, "period_start", "期間の開始")


class WorkerForm(_RecordForm):
    data_class = WorkerData

    kind = forms.ChoiceField(label="種別", choices=CommunityWorker.Kind.choices)
    name = forms.CharField(label="氏名", max_length=100)
    name_kana = forms.CharField(label="氏名（よみ）", max_length=100, required=False)
    area = forms.ModelChoiceField(
        label="地区", queryset=Area.objects.none(), required=False, empty_label="（指定なし）"
    )
    provider = forms.ModelChoiceField(
        label="活動する団体",
        queryset=Provider.objects.none(),
        required=False,
        empty_label="（指定なし）",
    )
    phone = forms.CharField(label="電話番号", max_length=40, required=False)
    email = forms.EmailField(label="メール", required=False)
    started_on = forms.DateField(label="活動開始日", widget=DATE, required=False)
    ended_on = forms.DateField(label="活動終了日", widget=DATE, required=False)
    trainings = forms.ModelMultipleChoiceField(
        label="受講した講座・研修",
        queryset=Activity.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: object,
        areas: QuerySet[Area],
        providers: QuerySet[Provider],
        trainings: QuerySet[Activity],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["trainings"].queryset = trainings  # type: ignore[attr-defined]

    @classmethod
    def initial_of(cls, record: object) -> dict[str, object]:
        initial = super().initial_of(record)
        initial["trainings"] = list(record.trainings.all())  # type: ignore[attr-defined]
        return initial

    def to_data(self) -> WorkerData:
        data: WorkerData = super().to_data()
        return replace(data, trainings=list(data.trainings))


class SearchForm(forms.Form):
    """The search of the public map and the staff list; any bad value just means 'any'."""

    q = forms.CharField(label="キーワード", required=False, max_length=10_000)
    category = forms.ChoiceField(label="分類", required=False)
    area = forms.ChoiceField(label="地区", required=False)
    day = forms.ChoiceField(
        label="曜日", required=False, choices=[("", "すべて"), *WEEKDAY_CHOICES]
    )

    def __init__(
        self, data: Mapping[str, Any] | None, *, categories: list[Category], areas: list[Area]
    ) -> None:
        super().__init__(data, label_suffix="")
        self.fields["category"].choices = [("", "すべて"), *((c.code, c.name) for c in categories)]  # type: ignore[attr-defined]
        self.fields["area"].choices = [("", "すべて"), *((a.code, a.name) for a in areas)]  # type: ignore[attr-defined]

    def value(self, name: str) -> str:
        """A field's clean value, or "" when it is missing or invalid (only that filter is
        dropped); an over-long keyword is kept raw, to be cut by the search."""
        if not self.is_bound:
            return ""
        self.is_valid()
        if name in self.errors:
            raw = self.data.get(name, "")
            return raw if name == "q" and isinstance(raw, str) else ""
        return str(self.cleaned_data.get(name) or "")
