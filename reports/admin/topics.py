"""Admin for topics."""
