"""Admin for publications."""
