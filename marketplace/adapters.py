import datetime
import time
import uuid

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.utils import translation

from . import outbox

# allauth reports these limits as a form error on a 200 page: failed passwords and TOTP codes
# ("login_failed", per address and per account), successful sign-ins ("login") and code requests.
# Every other limit of allauth answers 429, and so do these here.
RATE_LIMIT_ERRORS = frozenset({"too_many_login_attempts", "rate_limited"})


def _password_sign_in_at(request) -> float | None:
    """When this session's person last typed their password to sign in, if within the window
    allauth gives a confirmation (REAUTHENTICATION_TIMEOUT)."""
    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY) or []
    times = [r["at"] for r in records if r.get("method") == "password" and isinstance(r.get("at"), (int, float))]
    if times and time.time() - times[-1] < account_settings.REAUTHENTICATION_TIMEOUT:
        return times[-1]
    return None


class AccountAdapter(DefaultAccountAdapter):
    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks for the password again before any change to a user's authenticators, and
        before showing recovery codes. For a coordinator setting up their FIRST authenticator
        seconds after signing in (the admin sends them there), and then seeing the recovery codes
        that set-up made, that second prompt only confuses: the password they just typed is the
        confirmation. With an authenticator from before this sign-in, or after the window,
        allauth asks as usual."""
        required = super().is_reauthentication_required(app=app, **kwargs)
        request = self.request or context.request
        if not required or app != "allauth.mfa" or request is None or not request.user.is_authenticated:
            return required
        signed_in_at = _password_sign_in_at(request)
        if signed_in_at is None:
            return True
        from allauth.mfa.models import Authenticator

        older = Authenticator.objects.filter(
            user=request.user,
            type=Authenticator.Type.TOTP,
            created_at__lt=datetime.datetime.fromtimestamp(signed_in_at, datetime.UTC),
        )
        return older.exists()

    def send_mail(self, template_prefix, email, context):
        # Emails go out in the recipient's language, whatever language the sender is using.
        user = context.get("user")
        language = getattr(user, "preferred_language", None) or translation.get_language()
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        # Queued, never sent in the request: a mail server outage must not break sign-up or a
        # password reset (marketplace.outbox). Each call is its own event.
        outbox.enqueue(
            f"account:{template_prefix.rpartition('/')[2]}:{uuid.uuid4().hex}",
            to=email,
            subject=message.subject,
            body=message.body,
            kind=template_prefix.rpartition("/")[2],
            language=language,
        )

    def validation_error(self, code, *args, **kwargs):
        """The error allauth raises in a form; for a rate limit, the 429 page instead (allauth's
        AccountMiddleware answers ImmediateHttpResponse, wherever in the view it is raised)."""
        request = self.request or context.request
        if code in RATE_LIMIT_ERRORS and request is not None:
            raise ImmediateHttpResponse(respond_429(request))
        return super().validation_error(code, *args, **kwargs)
