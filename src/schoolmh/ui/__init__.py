"""The desktop window (PySide6). Only this package imports Qt; it reaches data only through services."""
