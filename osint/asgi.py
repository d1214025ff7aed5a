"""The ASGI application: Django, with published PDFs served by the fast path.

`make serve` runs it under gunicorn's uvicorn workers; see reports/fastpath.py
for what the fast path answers itself and what it leaves to Django.
"""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint.settings")

django_application = get_asgi_application()

from reports.fastpath import DownloadFastPath  # noqa: E402  (needs apps loaded)

application = DownloadFastPath(django_application)

# WhiteNoise answers static files with a file iterator, which Django under
# ASGI reads in a worker thread and warns about on every response. The files
# are small stylesheets, scripts and map data; the warning would only bury
# the logs. PDFs do not take that path (reports/downloads.py).
warnings.filterwarnings(
    "ignore",
    message="StreamingHttpResponse must consume synchronous iterators",
    category=Warning,
)
