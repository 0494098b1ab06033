from django.urls import path

from guichet.conversations import views

app_name = "conversations"
urlpatterns = [
    path("<str:reference>/", views.detail, name="detail"),
]
