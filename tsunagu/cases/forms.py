"""Forms of 多機関協働. The rules live in the services; a form only reads the request.

Forms that append (timeline, monitoring) carry the project's one-time form token
(`core.once.OnceFormMixin`, written through `submit_once`); forms that write a new version
(assessment, plan) carry the version or revision they were opened at, so the same form sent
twice, or two coordinators saving at once, never writes twice or overwrites."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from tsunagu.access.models import Basis
from tsunagu.access.statutes import StatuteEntry
from tsunagu.accounts.models import User
from tsunagu.cases.models import (
    ActionResult,
    CaseEvent,
    CaseOrigin,
    CaseStatus,
    CaseSubject,
    GoalsMet,
    PlanAction,
    PlanKind,
    ResourceGap,
    SupportPlan,
    TeamRole,
    Urgency,
)
from tsunagu.cases.services import (
    ActionData,
    CaseData,
    CaseRequestData,
    ClosureData,
    GapData,
    PlanData,
    ResultData,
)
from tsunagu.cases.sheets import ASSESSMENT_ITEMS, PLAN_REFERRAL_CHECKS
from tsunagu.consent.models import Consent
from tsunagu.consultations.models import Topic
from tsunagu.core.once import OnceFormMixin
from tsunagu.core.widgets import PICK, SearchSelect
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Area, Organization, SupportField
from tsunagu.people.models import Relationship

DATE = forms.DateInput(attrs={"type": "date"})
# the compound situations a case is about (the 相談受付票's topics, then the plans' names)
ISSUE_CHOICES = Topic.choices


def _queryset(form: forms.Form, name: str, qs: QuerySet[Any]) -> None:
    cast("forms.ModelChoiceField[Any]", form.fields[name]).queryset = qs


class CaseRequestForm(forms.Form):
    coordinating_organization = forms.ModelChoiceField(
        label="依頼先（多機関協働事業）", queryset=Organization.objects.none()
    )
    note = forms.CharField(
        label="依頼の内容（世帯の複合的な課題の様子）", widget=forms.Textarea(attrs={"rows": 4})
    )
    basis = forms.ChoiceField(label="共有の根拠", choices=Basis.choices, widget=forms.RadioSelect)
    consent = forms.ModelChoiceField(
        label="本人同意", queryset=Consent.objects.none(), required=False
    )
    meeting_body = forms.ModelChoiceField(
        label="支援会議", queryset=MeetingBody.objects.none(), required=False
    )
    statute = forms.ChoiceField(label="根拠法令", required=False)

    def __init__(
        self,
        *args: Any,
        organizations: QuerySet[Organization],
        consents: QuerySet[Consent],
        meeting_bodies: QuerySet[MeetingBody],
        statutes: list[StatuteEntry],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        statute = cast("forms.ChoiceField", self.fields["statute"])
        statute.choices = [("", "選んでください")] + [
            (s.code, f"{s.label}（{s.summary}）" if s.summary else s.label) for s in statutes
        ]
        _queryset(self, "coordinating_organization", organizations)
        _queryset(self, "consent", consents)
        _queryset(self, "meeting_body", meeting_bodies)
        if organizations.count() == 1:
            self.fields["coordinating_organization"].initial = organizations.first()

    def to_data(self) -> CaseRequestData:
        d = self.cleaned_data
        return CaseRequestData(
            coordinating_organization=d["coordinating_organization"],
            note=d["note"],
            basis=d["basis"],
            consent=d.get("consent"),
            meeting_body=d.get("meeting_body"),
            statute=d.get("statute") or "",
        )


class CaseRequestFromReferralForm(OnceFormMixin, CaseRequestForm):
    """The same request, sent by a window from a つなぎ it received (once per form)."""


class CaseOpenForm(forms.Form):
    title = forms.CharField(label="事例の呼び名", max_length=100, help_text="例: 山田さん世帯")
    subject = forms.ChoiceField(label="対象", choices=CaseSubject.choices, initial="household")
    issues = forms.MultipleChoiceField(
        label="複合的な課題",
        choices=ISSUE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    lead_coordinator = forms.ModelChoiceField(label="主担当", queryset=User.objects.none())

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "lead_coordinator", staff)

    def to_data(self, origin: str = CaseOrigin.CONSULTATION) -> CaseData:
        d = self.cleaned_data
        return CaseData(
            title=d["title"],
            subject=d["subject"],
            origin=origin,
            issues=list(d["issues"]),
            lead_coordinator=d["lead_coordinator"],
        )


class CaseCreateForm(CaseOpenForm):
    origin = forms.ChoiceField(
        label="きっかけ",
        choices=[(c, label) for c, label in CaseOrigin.choices if c != CaseOrigin.CONSULTATION],
    )


class DeclineForm(forms.Form):
    answer = forms.CharField(
        label="回答（事例にしない理由と、今後の対応）", widget=forms.Textarea(attrs={"rows": 3})
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="次の状態",
        choices=[
            (c, label)
            for c, label in CaseStatus.choices
            if c not in (CaseStatus.CLOSED, CaseStatus.ONGOING_CONNECTION)
        ],
    )
    note = forms.CharField(label="メモ", required=False, max_length=500)


class MemberForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    relationship = forms.ChoiceField(label="続柄（世帯主から見て）", choices=Relationship.choices)
    is_principal = forms.BooleanField(label="主な支援対象（本人）", required=False)


def case_picker() -> SearchSelect:
    """The widget of a field that names a case: found by typing (`cases:choices`)."""
    return SearchSelect(
        url=reverse_lazy("cases:choices"),
        prompt="事例を呼び名か世帯員の名前で探す",
        placeholder="呼び名・世帯員の名前",
    )


class MemberChooseForm(forms.Form):
    """The person page's 事例の世帯員に加える: the case is found by typing (`SearchSelect`), not
    listed; the view reads it through the door (`case_get_for`)."""

    case = forms.IntegerField(
        label="事例",
        error_messages={"required": "事例を選んでください"},
        widget=case_picker(),
    )
    person = forms.IntegerField(widget=forms.HiddenInput)
    relationship = forms.ChoiceField(label="続柄（世帯主から見て）", choices=Relationship.choices)

    def __init__(self, *args: Any, person_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = cast(SearchSelect, self.fields["case"].widget)
        widget.choices = [("", PICK)]
        if person_id is not None:  # the cases the person is already in are not offered
            widget.url = f"{reverse('cases:choices')}?without={person_id}"
            self.initial["person"] = person_id


class TeamForm(forms.Form):
    organization = forms.ModelChoiceField(label="機関", queryset=Organization.objects.none())
    staff = forms.ModelChoiceField(
        label="担当者（その機関の職員）", queryset=User.objects.none(), required=False
    )
    role = forms.ChoiceField(label="役割", choices=TeamRole.choices, initial="support")
    role_note = forms.CharField(label="役割の内容", max_length=200, required=False)
    joined_on = forms.DateField(label="参加日", widget=DATE, initial=timezone.localdate)

    def __init__(
        self,
        *args: Any,
        organizations: QuerySet[Organization],
        staff: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "organization", organizations)
        _queryset(self, "staff", staff)


class LeaveForm(forms.Form):
    left_on = forms.DateField(label="離脱日", widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(label="理由", max_length=200, required=False)


class EventForm(OnceFormMixin):
    kind = forms.ChoiceField(
        label="種類",
        choices=[
            (c, label)
            for c, label in CaseEvent.Kind.choices
            if c in ("contact", "decision", "document", "meeting")
        ],
    )
    occurred_at = forms.DateTimeField(
        label="日時",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        initial=lambda: timezone.localtime().replace(second=0, microsecond=0),
    )
    summary = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 3}))


class AssessmentForm(forms.Form):
    """The インテーク・アセスメントシート: each item's checkboxes and note (報告項目 marked)."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    assessed_on = forms.DateField(label="アセスメント日", widget=DATE, initial=timezone.localdate)
    urgency = forms.ChoiceField(label="緊急度【報告】", choices=Urgency.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in ASSESSMENT_ITEMS:
            mark = "【報告】" if item.reported else ""
            if item.options:
                self.fields[f"{item.code}__checks"] = forms.MultipleChoiceField(
                    label=f"{item.label}{mark}",
                    choices=item.options,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            self.fields[f"{item.code}__note"] = forms.CharField(
                label=f"{item.label}（メモ）{mark if not item.options else ''}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @staticmethod
    def initial_from(answers: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in ASSESSMENT_ITEMS:
            value = answers.get(item.code) or {}
            out[f"{item.code}__checks"] = value.get("checks", [])
            out[f"{item.code}__note"] = value.get("note", "")
        return out

    def answers(self) -> dict[str, object]:
        d = self.cleaned_data
        return {
            item.code: {
                "checks": list(d.get(f"{item.code}__checks") or []),
                "note": d.get(f"{item.code}__note", ""),
            }
            for item in ASSESSMENT_ITEMS
        }


class PlanForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    wishes = forms.CharField(
        label="本人の思い・希望（本人の言葉で）", widget=forms.Textarea(attrs={"rows": 3})
    )
    goals = forms.CharField(label="目標", widget=forms.Textarea(attrs={"rows": 3}))
    issues = forms.CharField(label="取り組む課題", widget=forms.Textarea(attrs={"rows": 3}))
    referral_checks = forms.MultipleChoiceField(
        label="参加支援・アウトリーチへのつなぎの確認",
        choices=PLAN_REFERRAL_CHECKS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    monitoring_on = forms.DateField(label="次のモニタリング予定日", widget=DATE)
    review_on = forms.DateField(label="プランの見直し予定日", widget=DATE)

    def to_data(self) -> PlanData:
        d = self.cleaned_data
        return PlanData(
            wishes=d["wishes"],
            goals=d["goals"],
            issues=d["issues"],
            monitoring_on=d["monitoring_on"],
            review_on=d["review_on"],
            referral_checks=list(d["referral_checks"]),
        )

    @staticmethod
    def initial_from(plan: SupportPlan) -> dict[str, Any]:
        return {
            "revision": plan.revision,
            "wishes": plan.wishes,
            "goals": plan.goals,
            "issues": plan.issues,
            "referral_checks": plan.referral_checks,
            "monitoring_on": plan.monitoring_on,
            "review_on": plan.review_on,
        }


class PlanKindForm(forms.Form):
    kind = forms.ChoiceField(label="プランの種類", choices=PlanKind.choices)


class ActionForm(forms.Form):
    description = forms.CharField(label="取り組み", max_length=300, required=False)
    organization = forms.ModelChoiceField(
        label="担当機関", queryset=Organization.objects.none(), required=False
    )
    due_on = forms.DateField(label="期限", widget=DATE, required=False)

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "organization", organizations)

    def to_data(self) -> ActionData | None:
        d = self.cleaned_data
        if not d.get("description") and not d.get("organization") and not d.get("due_on"):
            return None  # an empty row
        if not d.get("description") or not d.get("organization") or not d.get("due_on"):
            raise forms.ValidationError("取り組み・担当機関・期限をすべて入力してください")
        return ActionData(d["description"], d["organization"], d["due_on"])


ACTION_ROWS = 6


def action_forms(
    data: Any, organizations: QuerySet[Organization], initial: list[PlanAction] | None = None
) -> list[ActionForm]:
    rows = []
    initial = initial or []
    for i in range(max(ACTION_ROWS, len(initial) + 2)):
        start = (
            {
                "description": initial[i].description,
                "organization": initial[i].organization_id,
                "due_on": initial[i].due_on,
            }
            if i < len(initial)
            else None
        )
        rows.append(
            ActionForm(data, prefix=f"action{i}", organizations=organizations, initial=start)
        )
    return rows


class ConferForm(forms.Form):
    conferred_on = forms.DateField(
        label="重層的支援会議での協議日",
        widget=DATE,
        initial=timezone.localdate,
        required=False,
        help_text="空欄なら今日",
    )


class MonitoringForm(OnceFormMixin):
    monitored_on = forms.DateField(label="実施日", widget=DATE, initial=timezone.localdate)
    summary = forms.CharField(
        label="全体の変化", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next_monitoring_on = forms.DateField(
        label="次のモニタリング予定日", widget=DATE, required=False
    )

    def __init__(self, *args: Any, actions: list[PlanAction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actions = actions
        for a in actions:
            self.fields[f"result_{a.pk}"] = forms.ChoiceField(
                label=f"{a.description}（{a.organization.name}）",
                choices=[("", "—"), *ActionResult.choices],
                required=False,
            )
            self.fields[f"note_{a.pk}"] = forms.CharField(
                label="変化したこと", max_length=500, required=False
            )

    def results(self) -> list[ResultData]:
        d = self.cleaned_data
        return [
            ResultData(a, d[f"result_{a.pk}"], d.get(f"note_{a.pk}", ""))
            for a in self.actions
            if d.get(f"result_{a.pk}")
        ]


class ClosureForm(forms.Form):
    outcome = forms.ChoiceField(
        label="その後",
        choices=[
            (CaseStatus.CLOSED, "終結"),
            (CaseStatus.ONGOING_CONNECTION, "つながり続ける支援（見直し日を決めて継続）"),
        ],
        widget=forms.RadioSelect,
    )
    review_on = forms.DateField(
        label="次の見直し日（つながり続ける支援）", widget=DATE, required=False
    )
    closed_on = forms.DateField(label="評価日", widget=DATE, initial=timezone.localdate)
    goals_met = forms.ChoiceField(label="目標の達成", choices=GoalsMet.choices)
    person_changes = forms.CharField(
        label="本人・世帯に起きた変化", widget=forms.Textarea(attrs={"rows": 3})
    )
    existing_services_sufficient = forms.TypedChoiceField(
        label="既存事業で対応可能だったか",
        choices=[("yes", "はい"), ("no", "いいえ")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    why_not = forms.CharField(
        label="対応できなかった理由", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    gaps = forms.ModelMultipleChoiceField(
        label="望まれる社会資源（登録済みのもの）",
        queryset=ResourceGap.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_gap_field = forms.ChoiceField(
        label="新しい不足: 分野", choices=[("", "—"), *SupportField.choices], required=False
    )
    new_gap_area = forms.ModelChoiceField(
        label="新しい不足: 地域", queryset=Area.objects.none(), required=False
    )
    new_gap_description = forms.CharField(
        label="新しい不足: 望まれる社会資源",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    support_flow_lessons = forms.CharField(
        label="支援フローから分かったこと", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(
        self, *args: Any, gaps: QuerySet[ResourceGap], areas: QuerySet[Area], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "gaps", gaps)
        _queryset(self, "new_gap_area", areas)

    def to_data(self) -> ClosureData:
        d = self.cleaned_data
        gaps = [GapData(gap=g) for g in d["gaps"]]
        if d.get("new_gap_description") or d.get("new_gap_field"):
            gaps.append(
                GapData(
                    field=d.get("new_gap_field") or "",
                    description=d.get("new_gap_description") or "",
                    area=d.get("new_gap_area"),
                )
            )
        return ClosureData(
            outcome=d["outcome"],
            goals_met=d["goals_met"],
            person_changes=d["person_changes"],
            existing_services_sufficient=d["existing_services_sufficient"],
            why_not=d.get("why_not") or "",
            support_flow_lessons=d.get("support_flow_lessons") or "",
            closed_on=d.get("closed_on"),
            review_on=d.get("review_on"),
            gaps=gaps,
        )


class GapStatusForm(forms.Form):
    status = forms.ChoiceField(label="状態", choices=ResourceGap.Status.choices)
