"""Same-city delivery tasks, riders, dispatch (assign or grab) and courier pushes."""
