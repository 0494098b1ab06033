from django.urls import path

from guichet.bot import demo_api, views

app_name = "bot"
urlpatterns = [
    path("handback/<str:reference>/", views.handback, name="handback"),
    path("approve/<str:reference>/", views.approve, name="approve"),
    path("insights/", views.insights, name="insights"),
    path("insights/phrasing/", views.add_confirmed_wording, name="add_confirmed_wording"),
    # DEMO ONLY: a pretend government back office for the shipped flows (see bot/demo_api.py).
    path("demo-api/application-status/", demo_api.application_status, name="demo_api_application_status"),
    path("demo-api/address-change/", demo_api.address_change, name="demo_api_address_change"),
]
