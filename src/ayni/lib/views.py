"""The one shape of every form page, so each view says only what is its own."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ayni.lib.forms import apply_validation_error


def form_page(request, form, *, action: Callable[[dict], object], template: str, context: dict | None = None,
              success: str | Callable[[object], str] = "", then: Callable[[object], HttpResponse]) -> HttpResponse:
    """Render `form`; on a valid POST call `action(cleaned_data)` — a service call. A
    ValidationError from the service goes back onto the form (nothing was saved: services are
    atomic); success flashes `success` and returns `then(result)`, usually a redirect."""
    if request.method == "POST" and form.is_valid():
        try:
            result = action(form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if success:
                messages.success(request, success(result) if callable(success) else success)
            return then(result)
    return render(request, template, {"form": form, **(context or {})})


def to(viewname: str, **kwargs) -> Callable[[object], HttpResponse]:
    """`then=` for a fixed destination."""
    return lambda _result: redirect(viewname, **kwargs)
