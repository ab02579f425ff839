from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from shop.core.views import GraphQLView, health
from shop.orders.views import digital_download, export_download

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.as_view(), name="graphql"),
    path("health/", health),
    path("downloads/<str:token>/", digital_download, name="digital-download"),
    path("exports/<str:token>/", export_download, name="export-download"),
    path("", include("payments.urls")),
]

if settings.DEBUG and not settings.AWS_STORAGE_BUCKET_NAME:
    urlpatterns.append(
        path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})
    )
