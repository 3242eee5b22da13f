from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from buyers import urls as buyer_portal_urls
from cms import cache as page_cache
from cms import search
from marketplace import views
from orders import buyer_urls as order_portal_urls
from referrals import urls as referral_urls


class AdminLoginRedirect(RedirectView):
    """Wagtail's own login form would bypass allauth's rate limits and MFA: send it to allauth."""

    pattern_name = "account_login"
    query_string = True


urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    # The buyer portal: company pages from buyers, agreements and orders from orders (above buyers),
    # the company impact statement from income.
    path("buyer/", include(([*buyer_portal_urls.urlpatterns, *order_portal_urls.urlpatterns], "buyers"))),
    path("buyer/", include("income.company_impact.urls")),
    path("cart/", include("orders.cart_urls")),
    path("field/", include(referral_urls.field_patterns)),
    path("agency/", include(referral_urls.agency_patterns)),
    path("admin/login/", AdminLoginRedirect.as_view(), name="wagtailadmin_login_redirect"),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("search/", search.search, name="search"),
    path("payments/", include("orders.payment_urls")),
    path("api/v1/", include("api.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)


def serve_page(request, path):
    """Wagtail's page view, with the request's Site found from the cache (cms.cache.find_site)
    rather than the database."""
    page_cache.find_site(request)
    return wagtail_views.serve(request, path)


# Wagtail's own URLs, its page view finding the site through cms.cache.
urlpatterns += [
    *[pattern for pattern in wagtail_urls.urlpatterns if pattern.name != "wagtail_serve"],
    re_path(wagtail_urls.serve_pattern, serve_page, name="wagtail_serve"),
]
