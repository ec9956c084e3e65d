"""Form pieces shared by every domain's pages."""

import datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateField(forms.DateField):
    """A date typed as the phone's date picker sends it, or as dd/mm/aaaa."""

    widget = DateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_FORMATS)
        kwargs.setdefault("error_messages", {"invalid": _lazy("Escriba la fecha como dd/mm/aaaa.")})
        super().__init__(**kwargs)

    def to_python(self, value):
        # The API binds JSON to these forms: a number or true where a date belongs is a typing
        # mistake to answer in Spanish, not something to call .strip() on.
        if value not in self.empty_values and not isinstance(value, str | datetime.date):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def apply_validation_error(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: keyed errors on their fields when the form
    has them, everything else at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages if target is None else error)
    else:
        form.add_error(None, exc.messages)


def not_future(value: datetime.date | None, message: str) -> None:
    from django.utils import timezone

    if value and value > timezone.localdate():
        raise ValidationError(message)


__all__ = ["DateField", "apply_validation_error", "not_future", "NON_FIELD_ERRORS", "_"]
