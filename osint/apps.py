from importlib import import_module

from django.contrib.admin.apps import SimpleAdminConfig


class DeskAdminConfig(SimpleAdminConfig):
    """The admin, loading the admin modules of chosen apps only.

    Plain autodiscovery would import django-leaflet's admin module, which needs
    the GDAL library; the desk uses Leaflet through its own map widget and
    stores hotspots as plain JSON, so GDAL is never needed.
    """

    admin_modules = ("django.contrib.auth.admin", "feeds.admin", "reports.admin")

    def ready(self) -> None:
        super().ready()
        from django.contrib import admin

        # Registered here, the project's own app config, so that web
        # processes, workers and commands all run with the same lookups.
        import_module("osint.lookups")

        admin.site.site_header = "OSINT desk"
        admin.site.site_title = "OSINT desk"
        admin.site.index_title = "Feeds, reports and review"
        for module in self.admin_modules:
            import_module(module)
