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
