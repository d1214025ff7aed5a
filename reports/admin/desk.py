"""Admin for desk."""
