"""Letters without their accents: for search, and for file names that every program saves alike."""
import unicodedata

# Letters that Unicode does not write as a base letter and a mark (so taking the marks off leaves
# them be), and the typographic quotes and dashes titles often have.
OWN_FORMS = str.maketrans({
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
    "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "ı": "i",
    "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-",
})


def without_accents(text: str) -> str:
    """"Tromsø, Genève" becomes "Tromso, Geneve"; letters of other scripts stay as they are."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).translate(OWN_FORMS)
