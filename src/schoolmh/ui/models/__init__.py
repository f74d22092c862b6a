"""Qt item models shared by the pages."""
