"""Business regions, sales managers, drivers, order confirmation and signed slips."""
