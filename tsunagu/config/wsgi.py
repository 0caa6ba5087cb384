import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
application = get_wsgi_application()

# Each web worker (gunicorn imports this module in every worker, or once before forking with
# --preload) gets ready before its first request instead of during it: the URL configuration
# (which imports every view, the API and the PDF library: most of a fresh worker's first
# request) and the reading dictionary of person search.
from django.urls import get_resolver  # noqa: E402

from tsunagu.core.text import warm_up  # noqa: E402

get_resolver().url_patterns  # noqa: B018  (imports the URL configuration now)
warm_up()
