from django import forms


class TokenForm(forms.Form):
    token = forms.CharField(
        label="確認コード（6桁）",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="認証アプリに表示されている6桁の数字",
    )


class ApiTokenForm(forms.Form):
    label = forms.CharField(label="用途", max_length=100, required=False)
    days = forms.IntegerField(label="有効日数", min_value=1, max_value=366, required=False)
