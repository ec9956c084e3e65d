"""Texts that belong to other domains: a vote (`V 12 SI`), a dues payment, a follow-up of a
commitment. Capture knows nothing of those domains (they sit above it in the layers); each one
registers its keywords here from its `AppConfig.ready()`, and capture hands it the text after
storing it raw and applying the flood limit, like every other text.

    register(TextCommand(name="vote", words={"v", "voto", "akllay"}, handle=vote_by_text,
                         example="V 12 SI"))

A handler receives the stored `Inbound` (sender, normalised phone, received_at, pk) and the
folded words after the keyword, and returns the reply. It runs inside a savepoint of the text's
transaction: if it raises, nothing it wrote stays. To refuse, raise `Refused` (or a
`ValidationError`) with a message in words she can act on; the text is marked rejected and the
message is her reply. A handler identifies the sender itself, through its own scoped selector
(a member voting has no kitchen and often no account), may set `inbound.user`, and is
responsible for its own idempotency: the same text processed twice (a replay) must not count
twice — key what it writes on `inbound.pk` or make the write a state (a vote replaces a vote).

Texts arrive in batches (a gateway posts what its phone received, a replay finishes what was
stored): capture processes a batch in one transaction. A domain that gets many texts at once (votes
in a national consultation) registers `handle_many` too, which reads and writes for the whole
batch in a few statements; `handle` should then be `handle_many` with one item, so there is one
way a text is applied. It runs inside one savepoint for the batch: if it raises, its writes are
undone and every text of it goes through `handle` again, one savepoint each.

The batch's transaction holds the write lock (on SQLite, the whole database's, from its BEGIN), so
a domain with many texts at once may also register `prepare_many`: called with the same items
before that transaction, it does the reads and the work that need no lock (what each text says,
who sent it) and returns the callable that finishes the batch inside the transaction, re-checking
there what may have changed meanwhile (the current ballots, the motion still open) and writing.
`handle_many(items)` is then `prepare_many(items)()`: one way a batch is applied. If it raises, the
batch goes through `handle_many` inside the transaction, as one without it does; if a text of the
batch was settled meanwhile (a resend processed by another worker), the rest go through
`handle_many` too.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from ayni.capture import sms
from ayni.lib.text import fold, strip_controls


class Refused(Exception):
    """What the text asked cannot be done; `message` is the reply, in Spanish, saying why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TextCommand:
    name: str
    words: frozenset[str]  # folded first words that call it: "v", "voto", and the Quechua word
    handle: Callable  # (inbound, args: list[str]) -> reply
    example: str = ""  # shown in the help reply: "V 12 SI"
    # Optional: many texts at once, ([(inbound, args), ...]) -> [reply or the exception refusing it, ...]
    # in the same order, with no write left behind for a refused one. Without it, a batch calls
    # `handle` text by text, each in its own savepoint.
    handle_many: Callable | None = None
    # Optional, with `handle_many`: ([(inbound, args), ...]) -> a callable, run inside the write
    # transaction, returning what `handle_many` returns; it only reads, before the transaction.
    prepare_many: Callable | None = None


_REGISTRY: dict[str, TextCommand] = {}


def register(command: TextCommand) -> None:
    kitchen_words = {w for words in sms.KEYWORDS.values() for w in words}
    for word in command.words:
        taken = _REGISTRY.get(word)
        if word in kitchen_words or (taken is not None and taken.name != command.name):
            raise ImproperlyConfigured(f"text keyword {word!r} of {command.name!r} is already taken")
    for word in command.words:
        _REGISTRY[word] = command


def registered() -> list[TextCommand]:
    return sorted({c.name: c for c in _REGISTRY.values()}.values(), key=lambda c: c.name)


def tokens(text: str) -> list[str]:
    """Folded words, with the keyword split from a number glued to it (V12 SI → V 12 SI)."""
    words = fold(strip_controls(text or "")).replace(",", " ").replace(";", " ").split()
    if words:
        glued = re.match(r"^([a-z]+)(\d+)$", words[0])
        if glued:
            words[:1] = [glued.group(1), glued.group(2)]
    return words


def find(text: str) -> tuple[TextCommand, list[str]] | None:
    """The domain command a text calls, and its words after the keyword; None for the kitchen's own
    texts (R, S, U, C, ?) and for anything not understood, which `sms.parse` answers."""
    if not isinstance(text, str) or len(text) > sms.MAX_LENGTH:
        return None
    words = tokens(text)
    if not words:
        return None
    command = _REGISTRY.get(words[0])
    return (command, words[1:]) if command is not None else None
