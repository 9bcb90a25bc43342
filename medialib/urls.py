from django.urls import path

from medialib import views

urlpatterns = [
    path("", views.library, name="library"),
]
