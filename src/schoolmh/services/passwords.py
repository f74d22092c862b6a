"""Password policy (SECURITY.md): at least 12 characters, not a common password, no composition rules."""
from __future__ import annotations

import secrets
import unicodedata

from schoolmh.errors import ValidationError

MIN_LENGTH = 12

# The commonest passwords of 12+ characters and school-flavoured ones; a short list
# catches the guesses an attacker tries first without shipping a large file.
COMMON = frozenset(
    """
password1234 password12345 password123456 123456789012 1234567890123 qwertyuiopas qwerty123456
iloveyou1234 passwordpassword welcome12345 letmein12345 administrator changeme1234 abc123456789
111111111111 000000000000 123123123123 qwertyuiop12 1q2w3e4r5t6y 1qaz2wsx3edc football1234
monkey123456 sunshine1234 princess1234 password2024 password2025 password2026 welcome2024
welcome2025 welcome2026 schoolpassword school123456 teacher12345 headteacher1 safeguarding
safeguarding1 wellbeing123 mentalhealth mentalhealth1 schoolmh1234 passw0rd1234 p@ssw0rd1234
summer2025!! autumn2025!! spring2026!! winter2025!! september2025 january2026 aaaaaaaaaaaa
abcdefghijkl abcdefghijkl1 qwertyqwerty asdfghjkl123 zxcvbnm12345 trustno1trustno1
""".split()
)


def strength(password: str) -> tuple[int, str]:
    """A 0–4 score and a word for the meter in the set-up wizard (length and variety, not rules)."""
    if len(password) < MIN_LENGTH or password.casefold() in COMMON:
        return 0, "Too weak"
    variety = sum(
        any(test(ch) for ch in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    score = 1 + (len(password) >= 16) + (len(password) >= 20 or variety >= 3) + (len(set(password)) >= 10 and variety >= 2)
    return min(score, 4), ["Too weak", "Fair", "Good", "Strong", "Very strong"][min(score, 4)]


def check_password(password: str) -> None:
    normalised = unicodedata.normalize("NFC", password)
    if len(normalised) < MIN_LENGTH:
        raise ValidationError(f"The password must be at least {MIN_LENGTH} characters long.", "password")
    if normalised.casefold() in COMMON or len(set(normalised)) <= 2:
        raise ValidationError("That password is too common; choose something harder to guess.", "password")


_WORDS = (
    "amber birch cedar delta ember fable glade harbour island juniper kestrel lantern meadow "
    "nutmeg orchard pebble quartz river saffron thistle umber velvet willow yarrow zephyr"
).split()


def generate_password() -> str:
    """Four words and two digits: easy to read out once, then changed at first sign-in."""
    return "-".join(secrets.choice(_WORDS) for _ in range(4)) + f"-{secrets.randbelow(100):02d}"
