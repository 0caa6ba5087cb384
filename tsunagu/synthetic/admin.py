from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from tsunagu.core.admin_scope import is_operator
from tsunagu.synthetic.models import GenerationRun
from tsunagu.synthetic.runs import generation_progress


@admin.register(GenerationRun)
class GenerationRunAdmin(admin.ModelAdmin[GenerationRun]):
    """The generations handed to the task worker (`tsunagu generate --background`), with how far
    each is: the platform operator's only (a city's administrators never see them). Read-only:
    a generation is started on the server."""

    list_display = ["pk", "slug", "residents", "years", "status", "progress", "created_at"]
    readonly_fields = ["progress_lines"]
    exclude = ["task_id"]

    @admin.display(description="進み具合")
    def progress(self, run: GenerationRun) -> str:
        if run.finished:
            return f"{run.seconds or 0:,.0f} 秒" if run.status == run.Status.DONE else run.message
        progress = generation_progress(run.pk)
        last = progress.lines[-1].strip() if progress.lines else ""
        return f"{progress.percent}%　{last}"

    @admin.display(description="生成の記録（新しい行まで）")
    def progress_lines(self, run: GenerationRun) -> str:
        lines = generation_progress(run.pk).lines
        return format_html("<pre>{}</pre>", format_html_join("\n", "{}", ((s,) for s in lines)))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_operator(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return is_operator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
