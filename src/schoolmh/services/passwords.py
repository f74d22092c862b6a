"""Password policy (SECURITY.md): at least 12 characters and hard to guess, no composition rules.

"Hard to guess" is zxcvbn's estimate (the estimator Dropbox built from real leaked
passwords: dictionaries, names, keyboard walks, dates, repeats, l33t), told the
school's name and the person's own names, so `Oakfield2026!` fails at Oakfield.
The meter in the window calls the same `strength()`, so what it shows is what the
check decides.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

from schoolmh.errors import ValidationError

MIN_LENGTH = 12
# zxcvbn's 3: "safely unguessable: moderate protection from an offline slow-hash scenario"
# (about 10^8 guesses or more), which Argon2id slots are.
MIN_SCORE = 3
# zxcvbn's cost grows with length (it tries every substring); a passphrase is rarely longer.
_ESTIMATE_CHARS = 100

_WORDS = ["Too weak", "Weak", "Fair", "Strong", "Very strong"]


def _inputs(user_inputs: Iterable[str]) -> list[str]:
    """Each name and each word of it (zxcvbn matches inputs whole, so "Oakfield Academy" → "oakfield" too)."""
    out: list[str] = []
    for text in user_inputs:
        text = (text or "").strip().casefold()
        if text:
            out.append(text)
            out.append(re.sub(r"[\s._@-]+", "", text))
            out.extend(word for word in re.split(r"[\s._@-]+", text) if len(word) >= 3 and word != text)
    return out


def strength(password: str, user_inputs: Iterable[str] = ()) -> tuple[int, str]:
    """zxcvbn's 0–4 score and a word for the meter; 0 below the minimum length."""
    normalised = unicodedata.normalize("NFC", password)
    if len(normalised) < MIN_LENGTH:
        return 0, _WORDS[0]
    from zxcvbn import zxcvbn

    score = int(zxcvbn(normalised[:_ESTIMATE_CHARS], user_inputs=_inputs(user_inputs))["score"])
    return score, _WORDS[score]


def acceptable(password: str, user_inputs: Iterable[str] = ()) -> bool:
    return strength(password, user_inputs)[0] >= MIN_SCORE


def check_password(password: str, user_inputs: Iterable[str] = ()) -> None:
    """ValidationError (field "password") unless long enough and hard enough to guess.

    `user_inputs`: the school's name, the user name and full name (guessed first by anyone who knows them).
    """
    normalised = unicodedata.normalize("NFC", password)
    if len(normalised) < MIN_LENGTH:
        raise ValidationError(f"The password must be at least {MIN_LENGTH} characters long.", "password")
    if not acceptable(normalised, user_inputs):
        raise ValidationError(
            "That password is too easy to guess (a common word, name, date or pattern); "
            "a short sentence of your own is easier to remember and harder to guess.",
            "password",
        )


def password_inputs(*names: str) -> list[str]:
    """The open vault's school name and the given names (user name, full name): zxcvbn's user inputs."""
    from schoolmh.services import settings

    try:
        school = settings.load().school_name
    except Exception:  # no vault open (set-up passes the name itself)
        school = ""
    return [school, *names]


# One-time passwords: lower-case Crockford base-32 (no i, l, o, u: read out without confusion),
# 16 characters in groups of four = 80 bits, far beyond guessing even at the network's speed.
_OTP_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
OTP_CHARS = 16
OTP_BITS = OTP_CHARS * 5


def generate_password() -> str:
    """A one-time password (80 bits): read out once, then changed at first sign-in."""
    chars = "".join(secrets.choice(_OTP_ALPHABET) for _ in range(OTP_CHARS))
    return "-".join(chars[i : i + 4] for i in range(0, OTP_CHARS, 4))
