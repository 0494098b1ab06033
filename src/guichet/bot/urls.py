from django.urls import path

from guichet.bot import views

app_name = "bot"
urlpatterns = [
    path("handback/<str:reference>/", views.handback, name="handback"),
    path("insights/", views.insights, name="insights"),
]
