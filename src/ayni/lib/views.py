"""The one shape of every form page, so each view says only what is its own."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from ayni.lib.forms import apply_validation_error


def form_page(request, form, *, action: Callable[[dict], object], template: str, context: dict | None = None,
              success: str | Callable[[object], str] = "", then: Callable[[object], HttpResponse | None],
              refused: Callable[[ValidationError], HttpResponse | None] | None = None) -> HttpResponse:
    """Render `form`; on a valid POST call `action(cleaned_data)` — a service call. A
    ValidationError from the service goes back onto the form (nothing was saved: services are
    atomic), through the form's own `refuse(exc)` when it has one (the box to confirm unusual
    numbers); `refused(exc)` may answer it with a page of its own instead (someone else saved
    first: back to the page, showing her save). Success flashes `success` (unless it says
    nothing) and returns `then(result)`, usually a redirect; `then` returning None shows the
    page again (the action asked a question first, in `context`)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = action(form.cleaned_data)
        except ValidationError as exc:
            response = refused(exc) if refused else None
            if response is not None:
                return response
            if hasattr(form, "refuse"):
                form.refuse(exc)
            else:
                apply_validation_error(form, exc)
        else:
            message = success(result) if callable(success) else success
            if message:
                messages.success(request, message)
            response = then(result)
            if response is not None:
                return response
    return render(request, template, {"form": form, **(context or {})})


def to(viewname: str, **kwargs) -> Callable[[object], HttpResponse]:
    """`then=` for a fixed destination."""
    return lambda _result: redirect(viewname, **kwargs)


def button(request, call: Callable[[], object], success: str):
    """The service behind a POST-only button (close, approve, publish): its result, with
    `success` flashed; or None, with its refusal flashed instead."""
    try:
        result = call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return None
    messages.success(request, success)
    return result
