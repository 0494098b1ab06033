from django.urls import path

from guichet.wfm import views

app_name = "wfm"
urlpatterns = [
    path("", views.home, name="home"),
    path("forecast/", views.forecast, name="forecast"),
    path("scenario/", views.scenario, name="scenario"),
]
