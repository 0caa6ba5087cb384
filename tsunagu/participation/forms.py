"""Forms of 参加支援: shape only; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from tsunagu.consent.models import Consent
from tsunagu.core.once import OnceFormMixin
from tsunagu.participation.models import WEEKDAYS, FollowUp, HostSupport, OfferKind
from tsunagu.resources.models import Audience

DATE = forms.DateInput(attrs={"type": "date"})


class OfferForm(OnceFormMixin):
    kind = forms.ChoiceField(label="種類", choices=OfferKind.choices)
    title = forms.CharField(label="受け入れの内容", max_length=200)
    capacity = forms.IntegerField(label="受け入れ人数", min_value=1, max_value=999)
    weekdays = forms.MultipleChoiceField(
        label="曜日", choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    time_note = forms.CharField(label="時間帯", max_length=100, required=False)
    barrier_free = forms.BooleanField(label="段差なし・車いす可", required=False)
    accessibility = forms.CharField(label="配慮できること", max_length=300, required=False)
    audiences = forms.MultipleChoiceField(
        label="歓迎する人",
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    welcome_note = forms.CharField(label="受け入れの条件", max_length=300, required=False)


class HostSupportForm(OnceFormMixin):
    supported_on = forms.DateField(label="日付", widget=DATE)
    kind = forms.ChoiceField(label="種類", choices=HostSupport.Kind.choices)
    note = forms.CharField(
        label="内容",
        max_length=300,
        help_text="本人が分かることは書かないでください（本人のことは参加の記録に）。"
        "この欄は記録した機関だけが読めます",
    )


class ProfileForm(forms.Form):
    interests = forms.CharField(
        label="興味・好きなこと", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    kinds = forms.MultipleChoiceField(
        label="希望する種類",
        choices=OfferKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    weekdays = forms.MultipleChoiceField(
        label="参加できる曜日",
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    times = forms.CharField(label="参加できる時間帯", max_length=100, required=False)
    needs_barrier_free = forms.BooleanField(label="段差なし・車いすが必要", required=False)
    audience = forms.ChoiceField(
        label="本人の属性", choices=[("", "—"), *Audience.choices], required=False
    )
    limits = forms.CharField(
        label="配慮・制約", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    goals = forms.CharField(label="目標", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    support_needed = forms.CharField(
        label="必要な支援", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProposeForm(OnceFormMixin):
    offer = forms.TypedChoiceField(label="受け入れ先", coerce=int, choices=[])
    proposed_on = forms.DateField(label="提案日", widget=DATE)
    consent = forms.ModelChoiceField(
        label="受け入れ先への提供の同意", queryset=Consent.objects.none(), required=False
    )
    share_profile = forms.BooleanField(label="希望・配慮を受け入れ先に伝える", required=False)
    share_contact = forms.BooleanField(label="連絡先を受け入れ先に伝える", required=False)
    note = forms.CharField(label="記録", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, consents: Any = None, offers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if offers is not None:
            field = self.fields["offer"]
            assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 (declared above)
            field.choices = [(o.pk, f"{o.resource.name} — {o.title}") for o in offers]
        if consents is not None:
            self.fields["consent"].queryset = consents  # type: ignore[attr-defined]


class StepForm(forms.Form):
    on = forms.DateField(label="日付", widget=DATE)
    reason = forms.CharField(label="理由", max_length=200, required=False)


class AttendanceForm(OnceFormMixin):
    attended_on = forms.DateField(label="日付", widget=DATE)
    attended = forms.TypedChoiceField(
        label="参加", choices=[("1", "参加した"), ("0", "欠席")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label="様子", max_length=300, required=False)


class FollowUpForm(forms.Form):
    done_on = forms.DateField(label="実施日", widget=DATE)
    result = forms.ChoiceField(label="結果", choices=FollowUp.Result.choices)
    note = forms.CharField(label="記録", required=False, widget=forms.Textarea(attrs={"rows": 2}))
