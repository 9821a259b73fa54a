"""The one exception type whose message is shown to users as an instruction."""


class RingtraceError(Exception):
    """An error a user can act on; its message says what went wrong and what to do next."""
