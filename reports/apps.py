from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # Connects the reports side to the feeds' ingest signal (topic matching).
        from reports import signals  # noqa: F401
