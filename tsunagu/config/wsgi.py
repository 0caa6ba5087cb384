import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
application = get_wsgi_application()

# Each web worker (gunicorn imports this module in every worker, or once before forking with
# --preload) loads the reading dictionary before it takes its first request.
from tsunagu.core.text import warm_up  # noqa: E402

warm_up()
