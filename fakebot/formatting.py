"""Telegram text formatting: parse_mode parsing into plain text + entities.

The parsers follow the rules of Telegram's own implementation (tdlib's
``parse_html`` / ``parse_markdown_v2`` / ``parse_markdown``): the same tag set,
the same entity decoding (``&lt; &gt; &amp; &quot;`` and numeric references;
any other ``&`` is literal), every ``<`` opens a tag, and the same error texts
with UTF-8 byte offsets.  Entity offsets and lengths are in UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SPACES = " \t\r\n\v\f"
HTML_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
     "tg-time", "span", "pre", "code", "blockquote"}
)
_HTML_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_CUSTOM_EMOJI_URL = re.compile(r"tg://emoji\?id=(\d+)")


class EntityParseError(ValueError):
    """The text cannot be parsed in the requested parse_mode (Telegram answers 400)."""


@dataclass
class FormattedText:
    """Plain text as the user sees it plus its MessageEntity dicts."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src: str, pos: int) -> int:
    return len(src[:pos].encode("utf-8"))


def _entity(kind: str, offset: int, length: int, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "offset": offset, "length": length, **{k: v for k, v in extra.items() if v}}


def _sorted(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _decode_entity(src: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML character reference at ``src[pos] == '&'`` → (char, next pos)."""
    end = pos + 1
    if src.startswith("#", end):
        end += 1
        if src.startswith("x", end):
            end += 1
            start = end
            while end < len(src) and src[end] in "0123456789abcdefABCDEF":
                end += 1
            code = int(src[start:end], 16) if end > start else 0
        else:
            start = end
            while end < len(src) and src[end].isdigit() and src[end].isascii():
                end += 1
            code = int(src[start:end]) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < len(src) and src[end].isascii() and src[end].isalpha():
            end += 1
        char = _NAMED_ENTITIES.get(src[pos + 1 : end], "")
        if not char:
            return None
    if src.startswith(";", end):
        end += 1
    return char, end


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int
    out_len: int


def parse_html(src: str) -> FormattedText:
    """Parse Telegram-flavoured HTML; raises :class:`EntityParseError` like Telegram."""
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    n = len(src)
    i = 0

    while i < n:
        ch = src[i]
        if ch == "&":
            decoded = _decode_entity(src, i)
            if decoded is not None:
                out.append(decoded[0])
                u16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
        if ch != "<":
            out.append(ch)
            u16 += utf16_len(ch)
            i += 1
            continue

        begin = i
        i += 1
        if i < n and src[i] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
            i += 1
            start = i
            while i < n and src[i] not in SPACES and src[i] != ">":
                i += 1
            end_name = src[start:i].lower()
            while i < n and src[i] in SPACES:
                i += 1
            if i >= n or src[i] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
            i += 1
            opened = stack.pop()
            if end_name and end_name != opened.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                    f'expected "</{opened.name}>", found "</{end_name}>"'
                )
            if u16 > opened.offset:
                _close_html_entity(opened, u16 - opened.offset, "".join(out[opened.out_len :]), entities)
            continue

        start = i
        while i < n and src[i] not in SPACES and src[i] != ">":
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        tag = src[start:i].lower()
        if tag not in HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
        attrs: dict[str, str] = {}
        while True:
            while i < n and src[i] in SPACES:
                i += 1
            if i >= n:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
            if src[i] == ">":
                i += 1
                break
            name_start = i
            while i < n and src[i] not in SPACES and src[i] not in "=>":
                i += 1
            name = src[name_start:i].lower()
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(src, begin)}'
                )
            while i < n and src[i] in SPACES:
                i += 1
            if i >= n or src[i] != "=":
                if tag == "blockquote" and name == "expandable":
                    attrs[name] = ""
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {_byte_offset(src, begin)}"
                )
            i += 1
            while i < n and src[i] in SPACES:
                i += 1
            if i >= n:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
            if src[i] in "'\"":
                quote = src[i]
                i += 1
                value: list[str] = []
                while i < n and src[i] != quote:
                    decoded = _decode_entity(src, i) if src[i] == "&" else None
                    if decoded is not None:
                        value.append(decoded[0])
                        i = decoded[1]
                    else:
                        value.append(src[i])
                        i += 1
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                i += 1
                attrs[name] = "".join(value)
            else:
                token_start = i
                while i < n and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
                    i += 1
                if i < n and src[i] not in SPACES and src[i] != ">":
                    offset = _byte_offset(src, token_start)
                    raise EntityParseError(f"Unexpected end of name token at byte offset {offset}")
                attrs[name] = src[token_start:i].lower()
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}')
        stack.append(_OpenTag(tag, attrs, u16, len(out)))

    if stack:
        raise EntityParseError(f"Can't find end tag corresponding to start tag {stack[-1].name}")
    for entity in entities:  # a language survives only on a <pre><code class="language-…"> pair
        if entity["type"] == "code":
            entity.pop("language", None)
    return FormattedText("".join(out), _sorted(entities))


def _close_html_entity(tag: _OpenTag, length: int, inner: str, entities: list[dict[str, Any]]) -> None:
    offset = tag.offset
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag.name in _HTML_ENTITY_TYPES:
        entities.append(_entity(_HTML_ENTITY_TYPES[tag.name], offset, length))
    elif tag.name == "a":
        url = tag.attrs.get("href") or inner
        if url:
            entities.append(_entity("text_link", offset, length, url=url))
    elif tag.name == "tg-emoji":
        emoji_id = tag.attrs.get("emoji-id", "")
        if not emoji_id.isdigit() or int(emoji_id) == 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(_entity("custom_emoji", offset, length, custom_emoji_id=emoji_id))
    elif tag.name == "tg-time":
        unix = tag.attrs.get("unix", "")
        if unix.isdigit():
            entities.append(
                _entity("date_time", offset, length, unix_time=int(unix), date_time_format=tag.attrs.get("format"))
            )
    elif tag.name == "pre":
        if same_span and last is not None and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append(_entity("pre", offset, length))
    elif tag.name == "code":
        language = tag.attrs.get("class", "")
        language = language[len("language-") :] if language.startswith("language-") else ""
        if same_span and last is not None and last["type"] == "pre" and language:
            last["language"] = language
        else:
            entities.append(_entity("code", offset, length, language=language))
    elif tag.name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        entities.append(_entity(kind, offset, length))


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!\n"
_TD_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
    "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji", "blockquote": "BlockQuote",
}


@dataclass
class _OpenMd:
    kind: str
    offset: int
    byte_pos: int
    out_len: int
    language: str = ""


def _read_md_url(src: str, i: int) -> tuple[str, int]:
    """Read a ``(...)`` URL starting after ``(`` at ``i``; returns (url, index of ``)``)."""
    url: list[str] = []
    while i < len(src) and src[i] != ")":
        if src[i] == "\\" and i + 1 < len(src) and 0 < ord(src[i + 1]) <= 126:
            url.append(src[i + 1])
            i += 2
            continue
        url.append(src[i])
        i += 1
    return "".join(url), i


def parse_markdown_v2(src: str) -> FormattedText:
    """Parse MarkdownV2; raises :class:`EntityParseError` like Telegram."""
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_OpenMd] = []
    have_quote = False
    n = len(src)
    i = 0

    def at(k: int) -> str:
        return src[k] if k < n else ""

    def reserved_error(ch: str) -> EntityParseError:
        return EntityParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")

    def unclosed(top: _OpenMd) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of {_TD_NAMES[top.kind]} entity at byte offset {_byte_offset(src, top.byte_pos)}"
        )

    while i < n:
        ch = src[i]
        if ch == "\\" and at(i + 1) and 0 < ord(at(i + 1)) <= 126:
            out.append(src[i + 1])
            u16 += 1
            i += 2
            continue
        reserved = "`" if stack and stack[-1].kind in ("code", "pre") else _MDV2_RESERVED
        if ch not in reserved:
            out.append(ch)
            u16 += utf16_len(ch)
            i += 1
            continue

        closing = False
        if stack:
            kind = stack[-1].kind
            if have_quote and ch == "\n" and at(i + 1) != ">":
                closing = True
            else:
                closing = {
                    "bold": ch == "*",
                    "italic": ch == "_" and at(i + 1) != "_",
                    "code": ch == "`",
                    "pre": ch == "`" and src[i + 1 : i + 3] == "``",
                    "text_link": ch == "]",
                    "custom_emoji": ch == "]",
                    "underline": ch == "_" and at(i + 1) == "_",
                    "strikethrough": ch == "~",
                    "spoiler": ch == "|" and at(i + 1) == "|",
                    "blockquote": False,
                }[kind]

        if not closing:
            start = i
            language = ""
            kind = ""
            if ch == "_":
                kind = "underline" if at(i + 1) == "_" else "italic"
                i += kind == "underline"
            elif ch == "*":
                kind = "bold"
            elif ch == "~":
                kind = "strikethrough"
            elif ch == "|" and at(i + 1) == "|":
                kind = "spoiler"
                i += 1
            elif ch == "[":
                kind = "text_link"
            elif ch == "`" and src[i + 1 : i + 3] == "``":
                kind = "pre"
                i += 3
                lang_end = i
                while lang_end < n and src[lang_end] not in SPACES and src[lang_end] != "`":
                    lang_end += 1
                if i != lang_end and lang_end < n and src[lang_end] != "`":
                    language = src[i:lang_end]
                    i = lang_end
                if at(i) in ("\n", "\r"):
                    i += 2 if at(i + 1) in ("\n", "\r") and at(i + 1) != at(i) else 1
                i -= 1
            elif ch == "`":
                kind = "code"
            elif ch == "!" and at(i + 1) == "[":
                kind = "custom_emoji"
                i += 1
            elif ch == "\n":
                out.append("\n")
                u16 += 1
                if at(i + 1) == ">":
                    i += 1
                    if not have_quote:
                        kind = "blockquote"
                        have_quote = True
            elif ch == ">" and i == 0:
                kind = "blockquote"
                have_quote = True
            else:
                raise reserved_error(ch)
            if kind:
                stack.append(_OpenMd(kind, u16, start, len(out), language))
            i += 1
            continue

        top = stack[-1]
        if ch == "\n" and top.kind != "blockquote":
            raise unclosed(top)
        extra: dict[str, Any] = {}
        skip = u16 == top.offset
        if top.kind in ("underline", "spoiler"):
            i += 1
        elif top.kind == "pre":
            i += 2
            extra["language"] = top.language
        elif top.kind == "text_link":
            if at(i + 1) != "(":
                url = "".join(out[top.out_len :])
            else:
                url_start = i + 2
                url, i = _read_md_url(src, url_start)
                if i >= n:
                    raise EntityParseError(f"Can't find end of a URL at byte offset {_byte_offset(src, url_start)}")
            skip = skip or not url
            extra["url"] = url
        elif top.kind == "custom_emoji":
            if at(i + 1) != "(":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            url_start = i + 2
            url, i = _read_md_url(src, url_start)
            if i >= n:
                raise EntityParseError(
                    f"Can't find end of a custom emoji URL at byte offset {_byte_offset(src, url_start)}"
                )
            match = _CUSTOM_EMOJI_URL.fullmatch(url)
            if not match or int(match.group(1)) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            extra["custom_emoji_id"] = match.group(1)
        elif top.kind == "blockquote":
            have_quote = False
            out.append(ch)
            u16 += 1
        if not skip:
            entities.append(_entity(top.kind, top.offset, u16 - top.offset, **extra))
        stack.pop()
        i += 1

    if have_quote and stack and stack[-1].kind == "blockquote":
        top = stack.pop()
        if u16 > top.offset:
            entities.append(_entity("blockquote", top.offset, u16 - top.offset))
    if stack:
        raise unclosed(stack[-1])
    return FormattedText("".join(out), _sorted(entities))


def parse_markdown(src: str) -> FormattedText:
    """Parse legacy Markdown (``_italic_ *bold* `code` ```pre``` [text](url)``)."""
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    n = len(src)
    i = 0
    while i < n:
        ch = src[i]
        if ch == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            u16 += 1
            i += 2
            continue
        if ch not in "_*`[":
            out.append(ch)
            u16 += utf16_len(ch)
            i += 1
            continue
        begin = i
        end_char = "]" if ch == "[" else ch
        is_pre = src.startswith("```", i)
        language = ""
        i += 3 if is_pre else 1
        if is_pre:
            lang_end = i
            while lang_end < n and src[lang_end] not in SPACES and src[lang_end] != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and src[lang_end] != "`":
                language = src[i:lang_end]
                i = lang_end
            if i < n and src[i] in "\r\n":
                i += 2 if i + 1 < n and src[i + 1] in "\r\n" and src[i + 1] != src[i] else 1
        offset = u16
        while i < n and (src[i] != end_char or (is_pre and not src.startswith("``", i + 1))):
            out.append(src[i])
            u16 += utf16_len(src[i])
            i += 1
        if i >= n:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}")
        length = u16 - offset
        if ch == "[":
            url = src[begin + 1 : i]
            if src.startswith("(", i + 1):
                close = src.find(")", i + 2)
                close = n if close < 0 else close
                url = src[i + 2 : close]
                i = close
            if length and url:
                entities.append(_entity("text_link", offset, length, url=url))
        elif length:
            kind = {"_": "italic", "*": "bold"}.get(ch, "pre" if is_pre else "code")
            entities.append(_entity(kind, offset, length, language=language))
        i += 3 if is_pre else 1
    return FormattedText("".join(out), _sorted(entities))


PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}


def strip_formatted(formatted: FormattedText) -> FormattedText:
    """Trim surrounding whitespace as Telegram does, clipping entities to the result."""
    text = formatted.text
    stripped = text.strip()
    if stripped == text:
        return formatted
    left = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        start = max(entity["offset"] - left, 0)
        end = min(entity["offset"] + entity["length"] - left, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities for every ``/command[@bot]`` in a user's text."""
    return [
        _entity("bot_command", utf16_len(text[: m.start()]), utf16_len(m.group()))
        for m in _BOT_COMMAND.finditer(text)
    ]
