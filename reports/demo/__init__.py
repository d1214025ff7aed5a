"""The bundled demo: a Mongolia desk with feeds, users and two weekly reports.

`load_demo()` is idempotent: every step first looks for what it would create.
"""

from reports.demo.loading import DemoSummary, load_demo

__all__ = ["DemoSummary", "load_demo"]
