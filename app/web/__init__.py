"""Shared view helpers: access guards, rendering pages or their fragments, error pages."""
