"""Find text meant for people that does not go through gettext (used by test_translations.py).

Templates: Jinja's own lexer splits each template into its text and its
tags. Text outside `{% trans %}` blocks may hold markup only; in HTML, what a
person reads (text, `alt`, `title`, `placeholder`, `aria-label`, `data-text-*`,
a meta description) must come from a tag. A string literal in a tag that
reads like prose must be inside `_()`/`gettext()`/`ngettext()`.

Python: an AST scan for string literals that read like prose (a capitalised
phrase, or words ending in punctuation) outside gettext calls, docstrings and
logging calls. What people never read in the portal's language is exempt,
each for a stated reason; lower-case single words ("no", "none") are beyond
what this can tell from code, which review has to catch.
"""
import ast
import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GETTEXT = {"_", "_l", "gettext", "ngettext", "lazy_gettext"}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
PROSE = re.compile(r"[A-Z][a-z’']*( [\w’'“”«»,.;:?!()/-]+)+|.* [a-z]+[^\n]*[.?!:]")
WORDS = re.compile(r"[^\W\d_]{2,}")
HUMAN_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label"}
# Names that are the same in every language.
NAMES = {"CSV", "SHA256SUMS", "SHA-256"}
PLACEHOLDER = " \x00 "

# Modules whose texts people read in English by design (the issue: "CLI output stays English").
EXEMPT_MODULES = {
    "portal/cli.py": "the portal command",
    "portal/mail/commands.py": "the portal mail command",
    "portal/ops/translations.py": "the portal translations command",
    "portal/admin/commands.py": "the portal users command",
    "portal/media/commands.py": "the portal media and downloads commands",
    "portal/newsletter/commands.py": "the portal newsletter command",
    "portal/media/library.py": "errors of `portal media add`, for the admin at the command line",
    "portal/media/demo.py": "the demo library: content, like an admin's own videos",
    "portal/config.py": "defaults of settings (site name, terms) that an admin sets in their own language",
}
EXEMPT_STRINGS = {
    ("portal/account/profile.py", "Mac OS X"): "a token of the User-Agent header",
    ("portal/media/describe.py", "Motion JPEG"): "a codec's name",
    ("portal/web/security.py", "img-src 'self' data:"): "the Content-Security-Policy",
}


ATTRIBUTES_ONLY = re.compile(r'(\s*[\w:-]+="[^"]*")*\s*')


def _is_gettext(tokens, index) -> bool:
    return tokens[index][1] == "name" and tokens[index][2] in GETTEXT


def _is_block_set(tokens, index) -> bool:
    """`{% set name %}…{% endset %}`, as opposed to `{% set name = value %}`."""
    end = next(position for position in range(index, len(tokens)) if tokens[position][1] == "block_end")
    return not any(kind == "operator" and value == "=" for _, kind, value in tokens[index:end])


def _is_class(tokens, index) -> bool:
    return tokens[index - 1][1] == "operator" and tokens[index - 1][2] == "=" and tokens[index - 2][2] == "class"


def template_skeleton(environment, source: str, name: str) -> tuple[str, list[str]]:
    """The template's text outside `{% trans %}`, each tag a placeholder; and its prose-like string literals
    not inside a gettext call.

    The text of a `{% set %}` block that holds only HTML attributes is markup too.
    """
    tokens = [token for token in environment.lex(source, name) if token[1] != "whitespace"]
    parts, strings = [], []
    block, set_body = None, []  # block: "trans" or "set" while inside one
    gettext_depth = []  # the parenthesis depth of each open gettext call
    depth = 0
    for index, (_, kind, value) in enumerate(tokens):
        if kind == "name" and tokens[index - 1][1] == "block_begin" and value in ("trans", "endtrans", "set", "endset"):
            if value != "set" or _is_block_set(tokens, index):  # not `{% set x = … %}`
                block = None if value.startswith("end") else value
            if value == "endset":
                body = "".join(set_body)
                parts.append(PLACEHOLDER if ATTRIBUTES_ONLY.fullmatch(body.replace(PLACEHOLDER, "")) else body)
                set_body = []
        into = set_body if block == "set" else parts
        if kind == "data":
            into.append(PLACEHOLDER if block == "trans" else value)
        elif kind in ("variable_begin", "block_begin"):
            into.append(PLACEHOLDER)
        elif kind == "operator" and value == "(":
            depth += 1
            if _is_gettext(tokens, index - 1):
                gettext_depth.append(depth)
        elif kind == "operator" and value == ")":
            if gettext_depth and gettext_depth[-1] == depth:
                gettext_depth.pop()
            depth -= 1
        elif kind == "string":
            text = ast.literal_eval(value)
            if not gettext_depth and PROSE.fullmatch(text) and not _is_class(tokens, index):
                strings.append(text)
    return "".join(parts), strings


class _HumanText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def _check(self, text: str) -> None:
        text = text.replace(PLACEHOLDER, " ").strip()
        if WORDS.search(text) and text not in NAMES:
            self.found.append(text)

    def handle_data(self, data):
        self._check(data)

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        for attribute, value in attributes.items():
            human = attribute in HUMAN_ATTRIBUTES or attribute.startswith("data-text") or (
                tag == "meta" and attribute == "content" and attributes.get("name") == "description")
            if human and value:
                self._check(value)


def untranslated_in_template(environment, path: Path) -> list[str]:
    name = path.relative_to(ROOT / "templates").as_posix()
    skeleton, strings = template_skeleton(environment, path.read_text(encoding="utf-8"), name)
    if path.suffix == ".html":
        parser = _HumanText()
        parser.feed(skeleton)
        texts = parser.found
    else:
        texts = [line.strip() for line in skeleton.split(PLACEHOLDER) if WORDS.search(line)]
    return [f"{name}: {text!r}" for text in texts + strings]


def untranslated_in_module(path: Path) -> list[str]:
    module = path.relative_to(ROOT).as_posix()
    if module in EXEMPT_MODULES:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))  # a docstring
        if isinstance(node, ast.Call) and _is_gettext_or_log(node.func):
            skipped.update(id(inner) for inner in ast.walk(node))
    return [f"{module}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped
            and PROSE.fullmatch(node.value.strip()) and (module, node.value) not in EXEMPT_STRINGS]


def _is_gettext_or_log(func) -> bool:
    if isinstance(func, ast.Name):
        return func.id in GETTEXT
    return isinstance(func, ast.Attribute) and func.attr in LOG_METHODS
