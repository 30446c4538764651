"""The exception tree of mcgraph: every error the product raises on purpose is one of these.

    McgraphError                     anything mcgraph reports to a user
    ├── UsageError                   a command or call was given impossible options
    ├── ConfigurationError           settings, shapes or data files that cannot be used
    ├── FrameworkError               a framework file (SKOS or CSV) that cannot be used
    ├── NotFoundError                a resource asked for by its IRI is not in the store
    └── DocumentError                one input document cannot be read (names the document)
        ├── UnsupportedFormatError   the format is unknown or cannot be guessed
        ├── MalformedDocumentError   bytes that do not parse as the format they claim
        ├── UnsafeDocumentError      input refused to protect the process (DOCTYPE, size, depth)
        └── ContextUnavailableError  a JSON-LD context that is neither cached nor fetchable

The HTTP layer maps this tree to RFC 9457 problem responses in one table; the CLI prints
``str(error)`` as one line and exits with status 1 (2 for ``UsageError``).
"""

from __future__ import annotations


class McgraphError(Exception):
    """Base of every error mcgraph raises on purpose."""


class UsageError(McgraphError):
    """The caller asked for something that cannot be done as asked."""


class ConfigurationError(McgraphError):
    """A setting, shapes file or shipped data file cannot be used."""


class NotFoundError(McgraphError):
    """A credential, specification, framework or level named by the caller is not stored."""


class FrameworkError(McgraphError):
    """A qualification framework (SKOS Turtle or CSV) is unreadable or fails its shapes.

    ``problems`` lists each one, naming the row and column, or the level, it concerns."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class DocumentError(McgraphError):
    """One input document cannot be read; ``source`` names it in every message."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class UnsupportedFormatError(DocumentError):
    """The document's format is unknown or cannot be guessed from its name or content."""


class MalformedDocumentError(DocumentError):
    """The document does not parse as the format it claims to be."""


class UnsafeDocumentError(DocumentError):
    """The document is refused before parsing because parsing it could harm the process."""


class ContextUnavailableError(DocumentError):
    """A JSON-LD context URL is neither in a context cache nor fetchable under the allow-list."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        self.url = url
        super().__init__(source, f"JSON-LD context {url} is not available: {reason}")
