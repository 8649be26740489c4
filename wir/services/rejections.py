"""Input a service refuses, with the German message for the form field it belongs to."""


class Rejected(Exception):
    """``field`` is the service's name of the input at fault; wir.forms.reject puts the message on a form."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
