"""IRC lines with IRCv3 message tags: parsing (`IrcMessage.parse`) and formatting (`irc_line`).

    @badge-info=;display-name=Ann;tmi-sent-ts=1700000000000 :ann!ann@ann.tmi.twitch.tv PRIVMSG #shop :how much?

Tag values are unescaped as the IRCv3 spec says (``\\s`` space, ``\\:`` semicolon, ``\\\\`` backslash).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["IrcMessage", "irc_line"]

_TAG_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


def _unescape(value: str) -> str:
    out: list[str] = []
    it = iter(value)
    for c in it:
        if c == "\\":
            nxt = next(it, "")
            out.append(_TAG_ESCAPES.get(nxt, nxt))
        else:
            out.append(c)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class IrcMessage:
    command: str
    params: list[str] = field(default_factory=list)
    prefix: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def nick(self) -> str:
        """The sender's nickname from a ``nick!user@host`` prefix."""
        return self.prefix.split("!", 1)[0]

    @property
    def trailing(self) -> str:
        return self.params[-1] if self.params else ""

    @classmethod
    def parse(cls, line: str) -> IrcMessage:
        line = line.rstrip("\r\n")
        tags: dict[str, str] = {}
        if line.startswith("@"):
            raw_tags, _, line = line[1:].partition(" ")
            for item in raw_tags.split(";"):
                if item:
                    key, _, value = item.partition("=")
                    tags[key] = _unescape(value)
        line = line.lstrip(" ")
        prefix = ""
        if line.startswith(":"):
            prefix, _, line = line[1:].partition(" ")
        head, sep, trailing = line.partition(" :")
        parts = head.split()
        command = parts[0].upper() if parts else ""
        params = parts[1:] + ([trailing] if sep else [])
        return cls(command, params, prefix, tags)


def irc_line(command: str, *params: str, trailing: bool = False) -> bytes:
    """One IRC line; the last parameter becomes trailing (``:...``) when it needs to be or when ``trailing``.
    CR/LF are never sent: a parameter cannot smuggle a second command."""
    clean = [p.replace("\r", " ").replace("\n", " ") for p in params]
    if clean and (trailing or " " in clean[-1] or clean[-1].startswith(":") or not clean[-1]):
        clean[-1] = ":" + clean[-1]
    return (" ".join([command, *clean]) + "\r\n").encode("utf-8")
