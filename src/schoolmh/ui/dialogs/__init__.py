"""Dialogs: pupil form, quick session, MIS import wizard."""
