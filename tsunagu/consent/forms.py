from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from tsunagu.consent.models import Consent
from tsunagu.core.once import OnceFormMixin
from tsunagu.organizations.models import Organization


class ConsentForm(OnceFormMixin):
    method = forms.ChoiceField(
        label="同意の方法", choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    purpose = forms.CharField(
        label="利用目的",
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="支援関係機関が連携して支援を行うための情報共有",
    )
    scope_organizations = forms.ModelMultipleChoiceField(
        label="提供先の機関",
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    valid_from = forms.DateField(
        label="有効期間（開始）", widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label="有効期間（終了）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: object, organizations: QuerySet[Organization], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelMultipleChoiceField[Any]", self.fields["scope_organizations"])
        field.queryset = organizations
        self.fields["valid_from"].initial = timezone.localdate()


class WithdrawForm(forms.Form):
    note = forms.CharField(label="撤回の記録（申出の日時・方法など）", max_length=300)
