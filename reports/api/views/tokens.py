"""A user's own API tokens: issue (the secret shown once), list, revoke."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from reports.api.serializers import (
    TokenCreateSerializer,
    TokenIssuedSerializer,
    TokenSerializer,
)
from reports.api.views.base import DeskViewSet
from reports.models import AccessToken
from reports.roles import Capability
from reports.tokens import token_issue, token_revoke


@extend_schema(tags=["tokens"])
class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, DeskViewSet):
    """Personal tokens for programs. Each user sees and revokes only their own."""

    serializer_class = TokenSerializer
    # Anyone with a role may script what that role may do.
    capabilities = {
        "read": Capability.READ_PUBLISHED,
        "write": Capability.READ_PUBLISHED,
    }
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[AccessToken]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AccessToken.objects.none()
        return AccessToken.objects.filter(
            user=self.request.user,  # type: ignore[misc]
            kind=AccessToken.Kind.API,
        )

    @extend_schema(
        request=TokenCreateSerializer,
        responses={201: TokenIssuedSerializer},
        summary="Issue a token; its secret is in this answer only",
    )
    def create(self, request: Request) -> Response:
        given = TokenCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        token, secret = token_issue(
            user=request.user,
            kind=AccessToken.Kind.API,
            name=given.validated_data["name"],
        )
        token.secret = secret  # type: ignore[attr-defined]
        return Response(
            TokenIssuedSerializer(token).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(summary="Revoke a token at once; the record is kept")
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token_revoke(token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
