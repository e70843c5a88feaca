"""Neutralising untrusted text: documents, uploaded titles and generated answers.

A document is untrusted input. Before its text reaches a model prompt or is quoted in an
extractive answer, and again on every answer sentence, title and footer that leaves the
service (defence in depth), this module

1. removes every piece of markup that could make a reader's client fetch a URL or run
   script: Markdown images and link targets (inline, reference and protocol-relative),
   HTML tags and comments (also HTML-escaped ones), autolinks and bare URLs;
2. thereby removes the `<source>` delimiters a document could use to fake a source block;
3. recognises sentences that address the assistant instead of informing the reader, in
   the corpus' languages (en, fr, de, es), so that they are neither prompted nor quoted.
"""

import html
import re

# `![alt](target)` and `![alt][ref]`: the alt text is harmless, the image is dropped.
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\](?:\([^)]*\)?|\[[^\]]*\])")
# `[text](target)` keeps its text (`[1] (see …)`, a citation and a remark, is no link);
# `[ref]: target` definitions go entirely.
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)?")
LINK_DEFINITION = re.compile(r"(?m)^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Any tag, closed or not, with optional spaces after `<` (`< /source >`): `<img src=…>`,
# `<a href=…>`, `<script>`, and the prompt's own `<source id="n">` delimiters.
HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z][^<>]*>?")
# Absolute URLs of any scheme a client might follow, protocol-relative URLs, `www.` hosts.
URL = re.compile(
    r"(?i)\b(?:https?|ftp|file|javascript|vbscript|data|mailto):[^\s<>\"')\]]*"
    r"|(?<![\w:/])//[\w-]+(?:\.[\w-]+)+[^\s<>\"')\]]*"
    r"|\bwww\.[\w-]+(?:\.[\w-]+)+[^\s<>\"')\]]*")
LINK_REMOVED = "(link removed)"
SPACES = re.compile(r"[ \t]{2,}")

# Sentences that give the assistant orders. Each language names the same moves: discard
# your instructions, a notice addressed to the assistant or system, a new role, an order
# about how to end or limit the reply, or what to tell the user.
INSTRUCTION = re.compile("|".join([
    # English
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|rules|guidelines)\b",
    r"\b(?:assistant|system|ai|llm)\s+(?:instructions?|notice|prompt|message|note|override)\b",
    r"\bnote to (?:the )?(?:ai|assistants?|language models?|llms?|chatbots?)\b",
    r"\b(?:ai|assistants?|language models?|llms?|chatbots?) reading this\b",
    r"\breply only with\b|\brespond only with\b|\byou are now\b|\bfrom now on,? you\b",
    r"\bdo not (?:tell|inform) the user\b|\btell (?:them|the user|users) that\b",
    r"\b(?:end|start|begin) (?:every|each|your) (?:answer|reply|response)\b",
    r"^\W*(?:system|assistant)\s*:",  # a fake turn opens a sentence: "SYSTEM: …"
    # French
    r"\b(?:ignore[rsz]?|oublie[rsz]?|néglige[rsz]?)\b.{0,40}\b(?:instructions?|consignes?|règles)\b",
    r"\b(?:note|message|instruction|avis)s? (?:aux|à l'|pour l'|pour les|à destination des) ?"
    r"(?:ia|assistants?|intelligences? artificielles?|modèles?)\b",
    r"\b(?:réponds|répondez) uniquement\b",
    r"\b(?:tu es|vous êtes) (?:désormais|maintenant)\b",
    r"\b(?:termine[rsz]?|commence[rsz]?)\b.{0,20}\b(?:chaque|toutes? les|ta|votre) réponses?\b",
    r"\b(?:dis|dites)(?:-lui|-leur)? à l'utilisateur\b|\binstruction système\b|\bavis système\b",
    # German
    r"\b(?:ignorier\w*|vergiss|vergessen sie|missachte\w*)\b.{0,40}"
    r"\b(?:anweisungen|vorgaben|regeln|instruktionen)\b",
    r"\b(?:hinweis|nachricht|anweisung)(?:en)? (?:an|für) (?:die |den )?"
    r"(?:ki|assistent\w*|sprachmodell\w*)\b",
    r"\bsystem(?:hinweis|anweisung|nachricht|prompt)\b",
    r"\bantworte(?:n sie)? (?:nur|ausschließlich)\b|\bdu bist (?:jetzt|ab sofort|nun)\b",
    r"\b(?:beende|beginne)(?:n sie)?\b.{0,20}\b(?:jede|deine|ihre) antwort\b",
    r"\bsag(?:e|en sie)? (?:dem|den) (?:nutzer|benutzer|nutzern)\b",
    # Spanish
    r"\b(?:ignora[rd]?|olvida[rd]?|omite)\b.{0,40}\b(?:instrucciones|indicaciones|reglas|normas)\b",
    r"\b(?:nota|mensaje|instrucción|aviso)(?:es|s)? (?:para|a) (?:la |el |los )?"
    r"(?:ia|asistentes?|modelos?)\b",
    r"\b(?:instrucción|aviso|mensaje) del sistema\b",
    r"\bresponde(?:r)? (?:solo|solamente|únicamente)\b|\bahora eres\b|\ba partir de ahora eres\b",
    r"\b(?:termina|empieza|comienza)\b.{0,20}\b(?:cada|todas las|tu|su) respuestas?\b",
    r"\bdile al usuario\b|\bdígale al usuario\b",
]), re.IGNORECASE)


def neutralise(text: str) -> str:
    """The text without anything that could fetch a URL, run script or fake a source."""
    text = html.unescape(text)  # `&lt;img …&gt;` is a tag once a client decodes it
    text = HTML_COMMENT.sub(" ", text)
    text = LINK_DEFINITION.sub(" ", text)
    text = MARKDOWN_IMAGE.sub(lambda m: m.group(1), text)
    text = MARKDOWN_LINK.sub(lambda m: m.group(1), text)
    text = HTML_TAG.sub(" ", text)
    text = URL.sub(LINK_REMOVED, text)
    # Whatever angle brackets are left cannot open a tag; escape them for good measure.
    text = text.replace("<", "‹").replace(">", "›")
    return SPACES.sub(" ", text).strip()


def is_instruction(sentence: str) -> bool:
    """Whether a sentence addresses the assistant rather than informing the reader."""
    return bool(INSTRUCTION.search(sentence))


def inline(text: str) -> str:
    """A title or other one-line field, neutralised and on one line."""
    return " ".join(neutralise(text).split())


PLAIN_WEB_URL = re.compile(r"https?://[\w.-]+(?::\d+)?(?:/[\w\-./%~+=&?#:@!,;]*)?", re.ASCII)


def is_plain_web_url(url: str | None) -> bool:
    """Whether a URL is a plain http(s) address, safe to print where Markdown renders:
    no spaces, brackets, quotes or angle brackets that could close a link or open markup."""
    return url is not None and PLAIN_WEB_URL.fullmatch(url) is not None
