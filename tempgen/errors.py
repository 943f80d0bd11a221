"""The one domain exception. The CLI turns it into a one-line message and exit code 1."""


class TempgenError(Exception):
    """A problem with the user's input (a file, a model, a text) rather than a bug."""
