"""Wagtail permission policies for the producers models, built on producers.selectors.

Model-level actions come from the user's role; instance-level checks and querysets come from the
selectors' scope, so a guessed id in an admin URL finds nothing.
"""

from __future__ import annotations

from django.db.models import Q

from marketplace.permissions import ScopedPolicy

from . import selectors
from .models import Consent, Enrolment, Household, IncomeSurvey, ProducerGroup


class ProducerScopedPolicy(ScopedPolicy):
    """A ScopedPolicy whose members are the members of a producer group (producers.selectors)."""

    def is_member(self, user) -> bool:
        return bool(selectors.managed_group_ids(user))

    def members(self) -> Q:
        return Q(groupmembership__isnull=False)


def _households(user):
    return selectors.households_visible_to(user)


group_policy = ProducerScopedPolicy(
    ProducerGroup,
    scope=selectors.groups_visible_to,
    coordinator={"add", "change", "view", "verify"},
    member={"view"},
    superuser={"add", "change", "view", "verify"},
)
household_policy = ProducerScopedPolicy(
    Household, scope=_households, coordinator={"add", "change", "view", "export", "erase"}, member={"view", "export"}
)
enrolment_policy = ProducerScopedPolicy(
    Enrolment,
    scope=lambda user: Enrolment.objects.filter(household__in=_households(user)),
    coordinator={"add", "change", "view"},
    member={"view"},
)
consent_policy = ProducerScopedPolicy(
    Consent,
    scope=lambda user: Consent.objects.filter(household__in=_households(user)),
    # Consent is recorded through services.consent_record from the household page, never by the
    # generic add view: "record" is checked there.
    coordinator={"view", "record"},
    member={"view", "record"},
)
income_survey_policy = ProducerScopedPolicy(
    IncomeSurvey,
    scope=lambda user: IncomeSurvey.objects.filter(household__in=_households(user)),
    coordinator={"add", "change", "view"},
    member={"add", "view"},
)

POLICIES = [group_policy, household_policy, enrolment_policy, consent_policy, income_survey_policy]
