from django.urls import path

from guichet.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_edit, name="new"),
    path("<int:article_id>/edit/", views.article_edit, name="edit"),
    path("<int:article_id>/history/", views.article_history, name="history"),
    path("<int:article_id>/history/<int:number>/restore/", views.article_restore, name="restore"),
]
