from django.contrib.auth.backends import ModelBackend

from ayni.accounts.models import User
from ayni.accounts.services import find_account


class PhoneOrUsernameBackend(ModelBackend):
    """Log in with the username or the phone number, whichever the leader remembers."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        user = find_account(username)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing hint
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
