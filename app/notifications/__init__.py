"""SMS through provider adapters, each message from a named template."""
