import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.utils import translation

from . import outbox

# allauth reports these limits as a form error on a 200 page: failed passwords and TOTP codes
# ("login_failed", per address and per account), successful sign-ins ("login") and code requests.
# Every other limit of allauth answers 429, and so do these here.
RATE_LIMIT_ERRORS = frozenset({"too_many_login_attempts", "rate_limited"})


class AccountAdapter(DefaultAccountAdapter):
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
