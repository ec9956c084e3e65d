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


def error_messages(source) -> dict[str, list[str]]:
    """Field → messages, from a form's errors or a ValidationError ('__all__' for the rest): how
    an API result or a text message's reply names what was wrong."""
    if hasattr(source, "error_dict"):
        return {f: [str(m) for m in msgs] for f, msgs in source.message_dict.items()}
    if hasattr(source, "error_list"):
        return {"__all__": [str(m) for m in source.messages]}
    return {f: [str(m) for m in msgs] for f, msgs in source.items()}


# Fields whose cleaning depends on nothing but the value (no database, no language: the error
# messages are never remembered), for `clean_data(..., memo=)`.
PURE_FIELDS = (forms.IntegerField, forms.DecimalField, forms.CharField, forms.BooleanField)
MEMO_MAX = 20_000


def clean_data(form_class: type[forms.Form], data: dict, *, memo: dict | None = None) -> dict:
    """What `form_class(data)` cleans, or a ValidationError with its errors, without making the
    form: a form copies every field and widget when it is made, which was most of the cost of
    checking a sync's thousands of reports. A form that checks anything beyond its fields (a
    `clean` or `clean_<field>` of its own) is made and asked, so its own rules always apply.

    `memo` (a dict the caller keeps for one form class) remembers each value a plain field
    (`PURE_FIELDS`) found valid and what it cleaned it to: a batch repeats the same few numbers
    and texts item after item. A value not seen before, or refused, is cleaned by the field."""
    fields = form_class.base_fields
    if form_class.clean is not forms.Form.clean or any(hasattr(form_class, f"clean_{n}") for n in fields):
        form = form_class(data)
        if not form.is_valid():
            raise ValidationError(error_messages(form.errors))
        return dict(form.cleaned_data)
    cleaned, errors = {}, {}
    for name, field in fields.items():
        raw = field.widget.value_from_datadict(data, {}, name)
        key = None
        if memo is not None and type(field) in PURE_FIELDS and type(raw) in (str, int, bool, type(None)):
            key = (name, type(raw), raw)
            if key in memo:
                cleaned[name] = memo[key]
                continue
        try:
            cleaned[name] = field.clean(raw)
        except ValidationError as exc:
            errors[name] = exc.messages
            continue
        if key is not None:
            if len(memo) >= MEMO_MAX:
                memo.clear()
            memo[key] = cleaned[name]
    if errors:
        raise ValidationError(errors)
    return cleaned


__all__ = ["DateField", "apply_validation_error", "clean_data", "error_messages", "not_future",
           "NON_FIELD_ERRORS", "_"]
