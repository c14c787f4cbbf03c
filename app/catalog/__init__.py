"""Products and their SKUs (specs), priced in integer fen."""
