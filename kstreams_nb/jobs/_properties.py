"""Java ``.properties`` files for job configs: ``key=value`` (or ``key: value``), ``#``/``!`` comments, ``\\``
line continuations, and ``${NAME}`` replaced by the environment variable NAME, so secrets can stay out of the file.

Example::

    >>> import os, tempfile
    >>> os.environ["DEMO_PASSWORD"] = "s3cret"
    >>> path = os.path.join(tempfile.mkdtemp(), "app.properties")
    >>> _ = open(path, "w").write("application.id=counts\\nsasl.password=${DEMO_PASSWORD}\\n")
    >>> read_properties(path)["sasl.password"]
    's3cret'
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from kstreams_nb.errors import ConfigError

__all__ = ["parse_properties", "read_properties"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SEPARATOR = re.compile(r"\s*[=:]\s*|\s+")


def parse_properties(text: str, where: str = "<text>") -> dict[str, str]:
    """The key/value pairs of properties ``text`` (``where`` names it in errors)."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i].strip()
        i += 1
        while line.endswith("\\") and not line.endswith("\\\\") and i < len(lines):
            line = line[:-1] + lines[i].strip()
            i += 1
        if not line or line[0] in "#!":
            continue
        parts = _SEPARATOR.split(line, maxsplit=1)
        key, value = parts[0], parts[1] if len(parts) > 1 else ""
        here = f"{where}:{number}"
        out[key] = _VAR.sub(lambda m, here=here: _env(m.group(1), here), value)
    return out


def _env(name: str, where: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise ConfigError(f"{where}: the environment variable {name} is not set (the file reads ${{{name}}})")
    return value


def read_properties(path: str | os.PathLike[str]) -> dict[str, str]:
    """The properties in the file at ``path``; ConfigError when it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read the config file {path}: {e.strerror or e}") from None
    return parse_properties(text, str(path))
