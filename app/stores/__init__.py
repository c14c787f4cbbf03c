"""Sub-merchant stores: profile, business status, delivery rules, printers."""
