from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import views

urlpatterns = [
    path("health", views.health),
    path("ready", views.ready),
    path("metrics", views.metrics),
    path("tasks", csrf_exempt(views.tasks)),
]
