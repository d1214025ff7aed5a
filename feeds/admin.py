"""Admin for feeds, articles and annotations."""
