import json

from django.http import Http404, HttpResponse
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.accounts.models import Role
from tsunagu.core.archive import encrypted_download
from tsunagu.people.access import person_get_for
from tsunagu.recordkeeping.services import disclosure_export


def disclosure(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    """開示請求: everything the organization holds on a person record, as one JSON file, for
    its managers and administrators. The export itself is logged."""
    if not request.user.has_role(Role.MANAGER, Role.ADMIN):
        raise Http404
    access = person_get_for(
        user=request.user,
        person_id=person_id,
        channel=AccessLog.Channel.WEB,
        action=AccessLog.Action.EXPORT,
        own=True,
    )
    document = disclosure_export(user=request.user, access=access)
    body = json.dumps(
        {"exported_at": timezone.localtime().isoformat(), **document},
        ensure_ascii=False,
        indent=2,
    )
    # personal data in bulk: handed over as an encrypted archive (core/archive.py)
    return encrypted_download(
        request,
        name=f"disclosure-{person_id}.zip",
        files={f"disclosure-{person_id}.json": body.encode("utf-8")},
        title="開示請求のための出力",
    )
