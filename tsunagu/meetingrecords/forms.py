"""Forms of meeting records. Each create form carries a one-time token (`core.once`), so a form
sent twice records once."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy

from tsunagu.cases.forms import ClosureForm, case_picker
from tsunagu.cases.models import Case, ResourceGap, SupportPlan
from tsunagu.cases.services import GapData
from tsunagu.core.once import OnceFormMixin
from tsunagu.core.widgets import PICK, SearchSelect
from tsunagu.meetingrecords.models import AgendaItem, AgendaKind
from tsunagu.meetingrecords.services import MeetingData, meeting_kinds
from tsunagu.meetings.models import MeetingBody, MeetingBodyKind
from tsunagu.organizations.models import Area, Organization, SupportField
from tsunagu.people.models import Person

DATE = forms.DateInput(attrs={"type": "date"})


def _queryset(form: forms.Form, name: str, qs: QuerySet[Any]) -> None:
    cast("forms.ModelChoiceField[Any]", form.fields[name]).queryset = qs


class MeetingForm(OnceFormMixin):
    body = forms.ModelChoiceField(label="会議体", queryset=MeetingBody.objects.none())
    kind = forms.ChoiceField(
        label="会議の種別",
        choices=MeetingBodyKind.choices,
        help_text="本人同意がある事例を扱うときは重層的支援会議を選びます（二つの役割を持つ会議体）",
    )
    held_on = forms.DateField(label="開催日", widget=DATE)
    starts_at = forms.TimeField(
        label="開始時刻", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    place = forms.CharField(label="場所", max_length=200, required=False)
    online = forms.BooleanField(label="オンラインで開催", required=False)
    share_until = forms.DateField(
        label="共有の期限",
        required=False,
        widget=DATE,
        help_text="支援会議で協議した人の記録を出席機関が見られる最終日"
        "（空欄: 開催日から既定の日数）",
    )
    next_meeting_on = forms.DateField(label="次回の開催日", required=False, widget=DATE)

    def __init__(self, *args: Any, bodies: list[MeetingBody], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(
            self,
            "body",
            MeetingBody.objects.filter(pk__in=[b.pk for b in bodies]).order_by(
                "sort_order", "code"
            ),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        body = data.get("body")
        if body is not None and data.get("kind") not in meeting_kinds(body):
            self.add_error("kind", "この会議体の種別を選んでください")
        return data

    def to_data(self) -> MeetingData:
        d = self.cleaned_data
        return MeetingData(
            body=d["body"],
            kind=d["kind"],
            held_on=d["held_on"],
            starts_at=d.get("starts_at"),
            place=d.get("place") or "",
            online=bool(d.get("online")),
            share_until=d.get("share_until"),
            next_meeting_on=d.get("next_meeting_on"),
        )


class AttendeeForm(OnceFormMixin):
    organization = forms.ModelChoiceField(
        label="機関", queryset=Organization.objects.none(), required=False
    )
    name = forms.CharField(label="氏名", max_length=100, required=False)
    affiliation = forms.CharField(
        label="所属・肩書（システム外の出席者）",
        max_length=200,
        required=False,
        help_text="例: 民生委員、医師、弁護士、NPO法人〇〇",
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "organization", organizations)


class PledgeForm(forms.Form):
    attendee = forms.IntegerField(widget=forms.HiddenInput)
    signer_name = forms.CharField(label="署名者", max_length=100)
    signed_on = forms.DateField(label="誓約日", widget=DATE)
    valid_until = forms.DateField(
        label="有効期限",
        required=False,
        widget=DATE,
        help_text="要綱が年度ごとの誓約とするときはその末日（空欄: この会議限り）",
    )


class AgendaItemForm(OnceFormMixin):
    """A case or person is found by typing (`SearchSelect`): the page lists none of them, and
    a sent form validates against the whole `cases` and `persons` the user may name."""

    kind = forms.ChoiceField(label="種類", choices=AgendaKind.choices)
    case = forms.ModelChoiceField(
        label="事例",
        queryset=Case.objects.none(),
        required=False,
        empty_label=PICK,
        widget=case_picker(),
    )
    person = forms.ModelChoiceField(
        label="本人",
        queryset=Person.objects.none(),
        required=False,
        empty_label=PICK,
        widget=SearchSelect(
            url=reverse_lazy("people:choices"),
            prompt="本人を名前かふりがなで探す（自機関の記録）",
            placeholder="名前・ふりがな",
        ),
    )
    topic = forms.CharField(label="議題", max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        cases: QuerySet[Case],
        persons: QuerySet[Person],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "case", cases)
        _queryset(self, "person", persons)


class MinutesForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    minutes = forms.CharField(label="議事録", widget=forms.Textarea(attrs={"rows": 4}))


class DecisionForm(OnceFormMixin):
    item = forms.ModelChoiceField(label="議題", queryset=AgendaItem.objects.none(), required=False)
    text = forms.CharField(label="決定事項", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, items: QuerySet[AgendaItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "item", items)


class ActionItemForm(OnceFormMixin):
    organization = forms.ModelChoiceField(label="担当機関", queryset=Organization.objects.none())
    description = forms.CharField(label="内容", max_length=300)
    due_on = forms.DateField(label="期限", widget=DATE)
    item = forms.ModelChoiceField(label="議題", queryset=AgendaItem.objects.none(), required=False)

    def __init__(
        self,
        *args: Any,
        organizations: QuerySet[Organization],
        items: QuerySet[AgendaItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "organization", organizations)
        _queryset(self, "item", items)


class PlanApproveForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    plan = forms.ModelChoiceField(label="支援プラン", queryset=SupportPlan.objects.none())

    def __init__(self, *args: Any, plans: QuerySet[SupportPlan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "plan", plans)


class ActionDoneForm(OnceFormMixin):
    done_on = forms.DateField(label="完了日", widget=DATE)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def _item_label(item: AgendaItem) -> str:
    return f"議題{item.position} {item.case.title if item.case is not None else ''}".strip()


class GapForm(OnceFormMixin):
    """A missing social resource found at the meeting: an entry of the register, or a new one,
    behind the cases of the chosen agenda items."""

    gap = forms.ModelChoiceField(
        label="登録済みの不足", queryset=ResourceGap.objects.none(), required=False
    )
    field = forms.ChoiceField(
        label="新しい不足: 分野", choices=[("", "—"), *SupportField.choices], required=False
    )
    area = forms.ModelChoiceField(
        label="新しい不足: 地域", queryset=Area.objects.none(), required=False
    )
    description = forms.CharField(
        label="新しい不足: 望まれる社会資源",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    items = forms.ModelMultipleChoiceField(
        label="背景にある事例（議題）",
        queryset=AgendaItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        gaps: QuerySet[ResourceGap],
        areas: QuerySet[Area],
        items: QuerySet[AgendaItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "gap", gaps)
        _queryset(self, "area", areas)
        _queryset(self, "items", items.select_related("case"))
        field = cast("forms.ModelMultipleChoiceField[Any]", self.fields["items"])
        field.label_from_instance = _item_label  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("gap") is None and not (data.get("description") or "").strip():
            raise forms.ValidationError(
                "登録済みの不足を選ぶか、新しい不足の望まれる社会資源を入力してください"
            )
        return data

    def to_data(self) -> GapData:
        d = self.cleaned_data
        if d.get("gap") is not None:
            return GapData(gap=d["gap"])
        return GapData(
            field=d.get("field") or "", area=d.get("area"), description=d.get("description") or ""
        )


class MeetingClosureForm(OnceFormMixin, ClosureForm):
    """評価シート at a meeting: dated the meeting day, so without its own date."""

    closed_on = None  # type: ignore[assignment]
