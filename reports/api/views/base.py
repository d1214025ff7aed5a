"""What every viewset of the API shares."""

from typing import Any

from django.db.models import Model
from rest_framework import serializers, viewsets
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.request import Request

from reports.roles import Capability

_MAX_ID = 2**63 - 1


class DeskViewSet(viewsets.GenericViewSet):
    """A viewset whose actions each name the capability they need.

    `capabilities` maps an action name, or `read` / `write` for the safe and
    unsafe methods generally, to a `reports.roles.Capability`; see
    `reports.api.permissions.HasCapability`.
    """

    capabilities: dict[str, Capability] = {}
    lookup_value_regex = "[0-9]+"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF's own order, except that throttles come before the refusals: a
        # client guessing tokens or probing anonymously is slowed down too,
        # not answered 401 as fast as it can ask.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        negotiated = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = negotiated
        request.version, request.versioning_scheme = self.determine_version(
            request, *args, **kwargs
        )
        try:
            self.perform_authentication(request)
        except AuthenticationFailed:
            request._not_authenticated()  # type: ignore[attr-defined]
            self.check_throttles(request)
            raise
        self.check_throttles(request)
        self.check_permissions(request)

    def get_object(self) -> Any:
        # A number too long for a database key can only be unknown.
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
        if not str(lookup).isdigit() or not 0 < int(lookup) <= _MAX_ID:
            raise NotFound("No such object.")
        return super().get_object()


def by_id(model: type[Model], pk: int, *, what: str, queryset: Any = None) -> Any:
    """The row with this id among those visible, or a 404 naming it."""
    rows = queryset if queryset is not None else model._default_manager.all()
    row = rows.filter(pk=pk).first()
    if row is None:
        raise NotFound(f"There is no {what} {pk} you can see.")
    return row


def given_data(
    serializer_class: type[serializers.Serializer[Any]], request: Request
) -> Any:
    """The request's body, checked by `serializer_class` (400 when invalid)."""
    given = serializer_class(data=request.data)
    given.is_valid(raise_exception=True)
    return given.validated_data
