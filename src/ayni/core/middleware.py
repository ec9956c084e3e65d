from django.utils.functional import SimpleLazyObject


class ScopeMiddleware:
    """Attach `request.scope`, built once per request and only if something reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from ayni.accounts.scope import Scope

        request.scope = SimpleLazyObject(lambda: Scope.for_user(request.user))
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: only our own files, no inline script, no CDN."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response


class SpanishFirstMiddleware:
    """The interface is Spanish unless the person chooses another language (the footer's
    switch sets a cookie). A borrowed or second-hand phone set to English should not turn
    the kitchen's app into English, so the browser's Accept-Language is not consulted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
