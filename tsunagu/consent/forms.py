from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from tsunagu.consent.models import Consent
from tsunagu.core.once import OnceFormMixin
from tsunagu.organizations.models import Organization


class ScopeField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """The organizations a consent lets the record go to, each with the programs it carries,
    so that 「多機関協働事業に提供してよい」 is ticked on the organization that carries it."""

    carried: dict[int, list[str]] = {}

    def label_from_instance(self, obj: Organization) -> str:
        programs = self.carried.get(obj.pk)
        return f"{obj.name}（{'・'.join(programs)}）" if programs else obj.name


class ConsentForm(OnceFormMixin):
    method = forms.ChoiceField(
        label="同意の方法", choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    purpose = forms.CharField(
        label="利用目的",
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="支援関係機関が連携して支援を行うための情報共有",
    )
    scope_organizations = ScopeField(
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
        self,
        *args: object,
        organizations: QuerySet[Organization],
        programs: dict[int, list[str]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelMultipleChoiceField[Any]", self.fields["scope_organizations"])
        field.queryset = organizations
        if isinstance(field, ScopeField):
            field.carried = programs or {}
        self.fields["valid_from"].initial = timezone.localdate()


class WithdrawForm(forms.Form):
    note = forms.CharField(label="撤回の記録（申出の日時・方法など）", max_length=300)


class ScanForm(OnceFormMixin):
    file = forms.FileField(
        label="署名済みの同意書（PDF・JPEG・PNG、10MBまで）",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        error_messages={
            "required": "ファイルを選んでください",
            "empty": "ファイルが空です",
            "invalid": "ファイルを読み取れませんでした。もう一度選んでください",
        },
    )
