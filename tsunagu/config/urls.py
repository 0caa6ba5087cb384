from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from tsunagu.portal.api import api
from tsunagu.portal.middleware import api_not_found


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = "つなぐ 管理"
admin.site.site_title = "つなぐ 管理"

urlpatterns = [
    path("", include("tsunagu.portal.urls")),
    path("accounts/", include("tsunagu.accounts.urls")),
    path("organizations/", include("tsunagu.cityplan.directory_urls")),
    path("plan/", include("tsunagu.cityplan.urls")),
    path("people/", include("tsunagu.people.urls")),
    path("consultations/", include("tsunagu.consultations.urls")),
    path("referrals/", include("tsunagu.referrals.urls")),
    path("consents/", include("tsunagu.consent.urls")),
    path("imports/", include("tsunagu.imports.urls")),
    path("cases/", include("tsunagu.cases.urls")),
    path("meetings/", include("tsunagu.meetingrecords.urls")),
    path("outreach/", include("tsunagu.outreach.urls")),
    path("participation/", include("tsunagu.participation.urls")),
    path("records/", include("tsunagu.recordkeeping.urls")),
    path("evaluation/", include("tsunagu.evaluation.urls")),
    path("resources/", include("tsunagu.resources.urls")),
    path("map/", include("tsunagu.resources.public_urls")),
    path("api/v1/", api.urls),
    # anything else under /api/ is the API's own JSON 404, not the HTML page
    re_path(
        r"^api/(?P<rest>[\s\S]*)$",  # any character, a newline too
        csrf_exempt(login_not_required(api_not_found)),
        name="api_not_found",
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
]
