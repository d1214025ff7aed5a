"""Admin for topics, reports, revisions and the editorial desk."""
