"""The ASGI application: Django, with published PDFs served by the fast path.

`make serve` runs it under gunicorn's uvicorn workers; see reports/fastpath.py
for what the fast path answers itself and what it leaves to Django.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint.settings")

django_application = get_asgi_application()

from reports.fastpath import DownloadFastPath  # noqa: E402  (needs apps loaded)

application = DownloadFastPath(django_application)
