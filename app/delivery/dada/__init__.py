"""Dada (达达开放平台) as a courier: the API client, the courier, the store's flows, callbacks,
jobs and a local stand-in that speaks the protocol (`python -m app.delivery.dada.standin`)."""
