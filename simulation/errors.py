"""Errors a user can cause and fix: the CLI prints them as one line and exits 2."""


class UserError(Exception):
    """Bad input: the message names the place and the fix."""


class ParameterError(UserError):
    """An unknown parameter, a wrong type or a value out of bounds."""


class ScenarioError(UserError):
    """A scenario file that cannot be read or does not validate."""
