"""ESC/POS ticket rendering and printer transport, free of Flask and the database."""
