"""Domain records (pupils, plans, sessions, measures, referrals, whole school, liaison)."""
from __future__ import annotations

MODELS: list = []
