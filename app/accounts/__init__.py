"""Users, roles and their scope (a store or a region), member approval."""
