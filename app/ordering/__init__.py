"""Cart, checkout, orders, the order state machine and the one event timeline."""
