from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("guichet.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the sign-in page's language switch
    path("desk/", include("guichet.agents.urls")),
    path("conversations/", include("guichet.conversations.urls")),
    path("supervisor/", include("guichet.routing.urls")),
    path("hooks/", include("guichet.omnichannel.urls")),
    path("knowledge/", include("guichet.knowledge.urls")),
    path("bot/", include("guichet.bot.urls")),
    path("wfm/", include("guichet.wfm.urls")),
    path("reports/", include("guichet.analytics.urls")),
    path("", include("guichet.web.urls")),
]
