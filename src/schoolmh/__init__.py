"""SchoolMH: the school's side of mental health support work, kept in an encrypted local vault."""

__version__ = "0.1.0"
APP_NAME = "SchoolMH"
