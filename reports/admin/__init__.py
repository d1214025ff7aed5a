"""The desk's admin, one module per area:

- `topics`: topics, article matches, generation jobs and feeds (drafting)
- `desk`: reports, revisions, review comments, the audit log and analysts'
  annotations (editing)
- `publications`: publications, downloads and follows (publishing)
"""

from reports.admin import desk, publications, topics

__all__ = ["desk", "publications", "topics"]
