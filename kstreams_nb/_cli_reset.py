"""The ``kstreams-nb reset`` command: :func:`kstreams_nb.reset.reset_application` from the command line.

``kstreams-nb reset --application-id ID --bootstrap-servers S [--dry-run] [--config FILE]``, where FILE holds
client settings (SASL/SSL, ...) as Java properties (``key=value``, ``key: value`` or ``key value`` lines, ``#`` and
``!`` comments, ``\\`` continuations and escapes). Prints the report; exits 1 with the reason on stderr when the
reset is refused or fails.

Example::

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="kstreams-nb")
    >>> add_reset_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["reset", "--application-id", "wc", "--bootstrap-servers", "memory://x", "--dry-run"])
    >>> args.application_id, args.dry_run, args.config
    ('wc', True, None)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kstreams_nb.errors import ConfigError, KStreamsError
from kstreams_nb.reset import reset_application

__all__ = ["add_reset_command", "read_properties", "run_reset"]

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def add_reset_command(subparsers: Any) -> None:
    """Add ``reset`` to the ``kstreams-nb`` sub-commands (``subparsers`` from ``add_subparsers``)."""
    parser = subparsers.add_parser(
        "reset",
        help="reset an application: input offsets to the beginning, internal topics deleted",
        description="As kafka-streams-application-reset: refuses while the application's group has active members; "
        "sets the group's committed offsets of its input topics to the beginning and deletes its internal "
        "(repartition, changelog, control) topics. Local state stays: call KafkaStreams.clean_up() before the "
        "next start.",
    )
    parser.add_argument("--application-id", required=True, help="the application.id (also the consumer group id)")
    parser.add_argument("--bootstrap-servers", required=True, help="host:port list, or memory://NAME")
    parser.add_argument("--config", metavar="FILE", help="client settings (SASL/SSL, ...) as Java properties")
    parser.add_argument("--dry-run", action="store_true", help="only print what would be done")


def run_reset(args: argparse.Namespace) -> int:
    """Run the parsed ``reset`` command: print the report and return 0, or the error on stderr and return 1."""
    try:
        config = read_properties(args.config) if args.config else None
        report = reset_application(args.application_id, args.bootstrap_servers, config=config, dry_run=args.dry_run)
    except KStreamsError as e:
        print(f"kstreams-nb reset: {e}", file=sys.stderr)
        return 1
    print(report)
    return 0


def read_properties(path: str) -> dict[str, str]:
    """The keys and values of a Java properties file (ConfigError when it cannot be read).

    Example: ``read_properties("client.properties")`` → ``{"security.protocol": "SASL_SSL", ...}``.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfigError(f"cannot read the config file {path!r}: {e.strerror or e}") from e
    return parse_properties(text)


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java properties text (``java.util.Properties.load`` rules for the common cases).

    Example::

        >>> parse_properties("# c\\nsasl.mechanism = PLAIN\\nsasl.jaas.config=a \\\\\\n  b\\nacks: all\\n")
        {'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'a b', 'acks': 'all'}
    """
    out: dict[str, str] = {}
    logical = ""
    for raw in text.splitlines():
        line = raw.lstrip()  # a continuation line's leading whitespace is dropped too
        if not logical and (not line or line[0] in "#!"):
            continue
        if _continues(line):
            logical += line[:-1]
            continue
        logical += line
        key, value = _split(logical)
        out[key] = value
        logical = ""
    if logical:
        key, value = _split(logical)
        out[key] = value
    return out


def _continues(line: str) -> bool:
    """True when the line ends with an odd number of backslashes (the next line continues it)."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _split(line: str) -> tuple[str, str]:
    """Key and value of one logical line: the key ends at the first unescaped ``=``, ``:`` or whitespace."""
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c in "=: \t\f":
            break
        i += 1
    key, rest = line[:i], line[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return _unescape(key), _unescape(rest)


def _unescape(s: str) -> str:
    """Resolve Java's escapes: ``\\t \\n \\r \\f``, ``\\uXXXX``, and any other escaped character as itself."""
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 == len(s):
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt == "u":
            digits = s[i + 2 : i + 6]
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                raise ConfigError(f"malformed \\uxxxx escape {s[i : i + 6]!r} in a properties line") from None
            i += 6
            continue
        out.append(_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)
