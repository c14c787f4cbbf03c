"""Unit tests for receipt rendering and printer transport."""
