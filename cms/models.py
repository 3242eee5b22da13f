from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class BilingualMixin:
    """Content is written in Thai; an English version is optional. `localized(name)` gives the
    English field `<name>_en` to English readers when it is filled, else the Thai one."""

    def localized(self, name: str):
        if translation.get_language() == "en":
            english = getattr(self, f"{name}_en", "")
            if english:
                return english
        return getattr(self, name)


class HomePage(BilingualMixin, Page):
    """The site's front page: what the programme is and where to go next."""

    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    intro_en = RichTextField(_("introduction (English)"), blank=True, features=["bold", "italic", "link"])

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    content_panels = [
        FieldPanel("title"),
        FieldPanel("intro"),
        MultiFieldPanel([FieldPanel("title_en"), FieldPanel("intro_en")], heading=_("English")),
    ]

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    @property
    def display_title(self) -> str:
        return self.localized("title")

    @property
    def display_intro(self) -> str:
        return self.localized("intro")
