from django.conf import settings
from django.utils import translation

from ayni.reach.services import language_of

SESSION_KEY = "_registry_language"


class RegistryLanguageMiddleware:
    """Her interface in the language the registry says she speaks: Quechua for someone who speaks
    Quechua and not Spanish (`reach.services.language_of`), until she chooses another with the
    footer's switch (its cookie wins, as it does for everyone). Read from the registry once, when
    she signs in (`remember_language`), so that no page pays for it; here only the session is
    read. Placed after the authentication middleware: LocaleMiddleware runs before anyone is known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and request.user.is_authenticated:
            language = request.session.get(SESSION_KEY, "es")
            if language != "es":
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


def remember_language(sender, request, user, **kwargs):
    """On sign-in (the `user_logged_in` signal): the language the registry says she speaks."""
    request.session[SESSION_KEY] = language_of(user)


class OpenRosaMiddleware:
    """ODK Collect's requests (`/odk/`) go straight to their view, past the middleware made for
    people in a browser — a session, the CSRF check, the login's user, messages, the registry's
    language — none of which an OpenRosa request uses: it carries no cookie, its views are
    CSRF-exempt, authenticate every request themselves (`reach.auth`), set her scope and answer in
    her language. What those middleware would add to the answer is added here: the language
    chosen as the locale middleware chooses it (Spanish unless a cookie says otherwise), the
    Content-Language and Content-Length headers, and the frame header. Placed after the
    security, static-file, gzip and content-security-policy middleware, which still apply. On a server
    that cost about a third of a submission's time."""

    PREFIX = "/odk/"

    def __init__(self, get_response):
        from django.urls import URLResolver
        from django.urls.resolvers import RegexPattern

        self.get_response = get_response
        self.resolver = URLResolver(RegexPattern(r"^/odk/"), "ayni.reach.urls")

    def __call__(self, request):
        if not request.path_info.startswith(self.PREFIX):
            return self.get_response(request)
        from django.contrib.auth.models import AnonymousUser
        from django.urls import Resolver404
        from django.utils.cache import patch_vary_headers

        from ayni.accounts.scope import Scope

        try:
            match = self.resolver.resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)  # not an OpenRosa address: the usual 404
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)  # as SpanishFirstMiddleware
        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        request.user, request.scope = AnonymousUser(), Scope(user_id=None)  # until the view knows her
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response
