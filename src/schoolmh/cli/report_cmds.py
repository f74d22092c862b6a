"""Placeholder until its feature lands."""


def register(sub, common) -> None:
    pass
