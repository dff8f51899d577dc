"""Routes of the contract terms API: calendars and plans (mounted at /api/v1/)."""

from rest_framework.routers import SimpleRouter

from sla.terms.api import views

router = SimpleRouter(use_regex_path=False)
router.register("calendars", views.CalendarViewSet, basename="calendar")
router.register("plans", views.PlanViewSet, basename="plan")

app_name = "terms_api"
urlpatterns = router.urls
