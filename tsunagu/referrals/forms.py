from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from tsunagu.access.models import Basis
from tsunagu.access.statutes import StatuteEntry
from tsunagu.consent.models import Consent
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Organization
from tsunagu.referrals.services import ReferralData


class ReferralForm(forms.Form):
    to_organization = forms.ModelChoiceField(label="つなぎ先", queryset=Organization.objects.none())
    reason = forms.CharField(label="つなぐ理由", widget=forms.Textarea(attrs={"rows": 3}))
    share_content = forms.BooleanField(label="相談内容を共有する", required=False, initial=True)
    share_contact = forms.BooleanField(
        label="連絡先（電話番号）を共有する", required=False, initial=True
    )
    share_address = forms.BooleanField(label="住所を共有する", required=False)
    acknowledge_address_protection = forms.BooleanField(
        label="住所秘匿の対象であることを確認し、それでも共有する", required=False
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
        *args: object,
        organizations: QuerySet[Organization],
        consents: QuerySet[Consent],
        meeting_bodies: QuerySet[MeetingBody],
        statutes: list[StatuteEntry],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        statute = cast("forms.ChoiceField", self.fields["statute"])
        statute.choices = [("", "選んでください")] + [
            (s.code, f"{s.label}（{s.summary}）" if s.summary else s.label) for s in statutes
        ]
        for name, qs in (
            ("to_organization", organizations),
            ("consent", consents),
            ("meeting_body", meeting_bodies),
        ):
            field = cast("forms.ModelChoiceField[Any]", self.fields[name])
            field.queryset = qs

    def to_data(self) -> ReferralData:
        d = self.cleaned_data
        return ReferralData(
            to_organization=d["to_organization"],
            reason=d["reason"],
            basis=d["basis"],
            share_content=d["share_content"],
            share_contact=d["share_contact"],
            share_address=d["share_address"],
            consent=d["consent"],
            meeting_body=d["meeting_body"],
            statute=d["statute"],
            acknowledge_address_protection=d["acknowledge_address_protection"],
        )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="辞退の理由（依頼元に伝わります）", widget=forms.Textarea(attrs={"rows": 3})
    )


class CompleteForm(forms.Form):
    outcome = forms.CharField(
        label="対応結果（依頼元に伝わります）", widget=forms.Textarea(attrs={"rows": 3})
    )


class CancelForm(forms.Form):
    note = forms.CharField(label="取消の理由", max_length=300, required=False)
