from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tsunagu.accounts"
    label = "accounts"
    verbose_name = "職員・権限"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from tsunagu.accounts import signals

        user_logged_in.connect(signals.on_login, dispatch_uid="tsunagu-login")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid="tsunagu-login-failed")
        user_logged_out.connect(signals.on_logout, dispatch_uid="tsunagu-logout")
        user_locked_out.connect(signals.on_locked_out, dispatch_uid="tsunagu-locked-out")
