"""Benchmarks that print figures (`make bench`); never run in CI, never asserted by tests."""
