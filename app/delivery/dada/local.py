"""The local stand-in's address and keys: what development and tests use when no Dada account
is configured (app.delivery.dada.client) and what the stand-in answers to (…standin)."""

DEFAULT_PORT = 8803
APP_KEY = "dada-standin-app-key"
APP_SECRET = "dada-standin-app-secret"
SOURCE_ID = "73753"  # Dada's documented test merchant number
