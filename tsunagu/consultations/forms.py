from django import forms
from django.utils import timezone

from tsunagu.consultations.models import Channel, Requester, Response, Topic
from tsunagu.consultations.services import ConsultationData
from tsunagu.core.once import OnceFormMixin


class ConsultationForm(OnceFormMixin):
    received_at = forms.DateTimeField(
        label="受付日時",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    channel = forms.ChoiceField(label="相談方法", choices=Channel.choices, widget=forms.RadioSelect)
    requester = forms.ChoiceField(
        label="相談者", choices=Requester.choices, widget=forms.RadioSelect
    )
    requester_detail = forms.CharField(
        label="相談者の詳細（例: 水道検針、納税相談）", max_length=200, required=False
    )
    topics = forms.MultipleChoiceField(
        label="相談の内容（複数可）",
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    main_topic = forms.ChoiceField(label="主訴", choices=Topic.choices)
    content = forms.CharField(label="相談内容", widget=forms.Textarea(attrs={"rows": 8}))
    response = forms.ChoiceField(label="対応", choices=Response.choices, widget=forms.RadioSelect)
    is_new = forms.TypedChoiceField(
        label="新規・継続",
        choices=[("1", "新規"), ("0", "継続")],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    anonymous_label = forms.CharField(
        label="匿名・未特定の場合の呼び名", max_length=100, required=False
    )

    site = forms.TypedChoiceField(
        label="受付拠点", coerce=int, empty_value=None, required=False, choices=[]
    )

    def __init__(
        self, *args: object, sites: list[tuple[int, str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        if sites:  # the organization takes consultations at several sites (出張所 …)
            self.fields["site"].choices = [("", "本所・主な窓口"), *sites]  # type: ignore[attr-defined]
        else:
            del self.fields["site"]

    def to_data(self) -> ConsultationData:
        d = self.cleaned_data
        return ConsultationData(
            received_at=d["received_at"],
            channel=d["channel"],
            requester=d["requester"],
            requester_detail=d["requester_detail"],
            main_topic=d["main_topic"],
            topics=list(d["topics"]),
            content=d["content"],
            response=d["response"],
            is_new=d["is_new"],
            anonymous_label=d["anonymous_label"],
            site_id=d.get("site"),
        )


class FollowUpForm(OnceFormMixin):
    received_at = forms.DateTimeField(
        label="日時",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    channel = forms.ChoiceField(label="方法", choices=Channel.choices)
    content = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 3}))
    response = forms.ChoiceField(label="対応", choices=Response.choices, initial=Response.ONGOING)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class ConsultationFilterForm(forms.Form):
    topic = forms.ChoiceField(
        label="相談の内容", choices=[("", "すべて"), *Topic.choices], required=False
    )
    channel = forms.ChoiceField(
        label="相談方法", choices=[("", "すべて"), *Channel.choices], required=False
    )
    response = forms.ChoiceField(
        label="対応", choices=[("", "すべて"), *Response.choices], required=False
    )
    is_new = forms.ChoiceField(
        label="新規・継続", choices=[("", "すべて"), ("1", "新規"), ("0", "継続")], required=False
    )
    date_from = forms.DateField(
        label="受付日（から）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="受付日（まで）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
