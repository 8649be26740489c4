"""Input a service refuses, with the German message for the form field it belongs to."""


class Rejected(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message

    def show_on(self, form) -> None:
        """Put the message next to its field (the form was validated, so its error lists exist)."""
        form[self.field].errors.append(self.message)
