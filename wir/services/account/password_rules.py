"""The password rules of DESIGN.md §6: length, a strength estimate, no words about the person."""

import re
import unicodedata
from dataclasses import dataclass

from wir.services.rejections import Rejected

MIN_LENGTH = 12
MAX_LENGTH = 1024
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable", about 10^8 guesses
# Words everybody links to this portal, refused like the person's own name.
PORTAL_WORDS = ("lipsia", "elsteraue", "immerda", "genossenschaft", "wohnung", "leipzig")


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    met: bool


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def context_words(*texts: str) -> list[str]:
    """Words of names and e-mail addresses long enough to matter (e.g. 'müller', 'juergen')."""
    words = set(PORTAL_WORDS)
    for text in texts:
        for word in re.split(r"[\W_]+", _fold(text or "")):
            if len(word) >= 4:
                words.add(word)
    return sorted(words)


def _hard_to_guess(password: str, words: list[str]) -> bool:
    from zxcvbn import zxcvbn  # zxcvbn, ~12 MB: loaded when needed

    return zxcvbn(password[:100], user_inputs=words)["score"] >= MIN_SCORE


def evaluate(password: str, words: list[str]) -> list[Criterion]:
    """Each rule with whether the password meets it, in the order shown beside the field."""
    folded = _fold(password)
    long_enough = MIN_LENGTH <= len(password) <= MAX_LENGTH
    personal = [word for word in words if word in folded]
    strong = long_enough and _hard_to_guess(password, words)
    # each label completes the sentence begun above the list: "Ihr Passwort muss: …"
    return [
        Criterion("length", f"mindestens {MIN_LENGTH} Zeichen lang sein", long_enough),
        Criterion("personal", "frei von Ihrem Namen, Ihrer E-Mail-Adresse und dem Namen der Genossenschaft sein",
                  bool(password) and not personal),
        Criterion("strength", "schwer zu erraten sein: keine bekannten Passwörter, Tastaturfolgen oder Wiederholungen",
                  strong),
    ]


def problems(password: str, words: list[str]) -> list[str]:
    """German messages for every rule the password breaks; empty when it is acceptable."""
    if len(password) > MAX_LENGTH:
        return [f"Das Passwort darf höchstens {MAX_LENGTH} Zeichen lang sein."]
    messages = {
        "length": f"Das Passwort muss mindestens {MIN_LENGTH} Zeichen lang sein.",
        "personal": "Das Passwort darf weder Ihren Namen, Ihre E-Mail-Adresse noch den Namen der Genossenschaft enthalten.",
        "strength": "Dieses Passwort ist zu leicht zu erraten. Tipp: Verbinden Sie vier zufällige Wörter, "
        "z. B. mit Bindestrichen.",
    }
    return [messages[c.key] for c in evaluate(password, words) if not c.met]


def check(password: str, words: list[str]) -> None:
    """Raise Rejected('password') naming every rule the password breaks."""
    broken = problems(password, words)
    if broken:
        raise Rejected("password", " ".join(broken))
