"""The schema's own scalars: ``Upload`` (a multipart file part), ``Decimal`` and ``UUID`` (refusing
what is not a finite number or a well-formed UUID while the request is read)."""

from __future__ import annotations

import decimal as _decimal

import graphene
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from graphql import GraphQLError, Undefined


class Upload(graphene.Scalar):
    """A file part of a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec)."""

    @staticmethod
    def serialize(value):
        return None

    @staticmethod
    def parse_literal(node, _variables=None):
        raise GraphQLError(_("Upload values must be sent as multipart file parts."))

    @staticmethod
    def parse_value(value):
        if isinstance(value, UploadedFile):
            return value
        raise GraphQLError(_("Upload values must be sent as multipart file parts."))


# Use these two, never graphene.Decimal / graphene.UUID: "NaN", "sNaN", the infinities and malformed
# UUIDs are refused while the request is read (a coded 400), and never reach a service as a value
# or an exception (issue 13, finding 9).
class DecimalScalar(graphene.Decimal):
    """An exact decimal number, sent and served as a string (e.g. "150000"); finite numbers only."""

    class Meta:
        name = "Decimal"

    @staticmethod
    def _finite(value):
        return value if isinstance(value, _decimal.Decimal) and value.is_finite() else Undefined

    @classmethod
    def parse_literal(cls, node, _variables=None):
        try:
            return cls._finite(graphene.Decimal.parse_literal(node, _variables))
        except (ValueError, ArithmeticError):
            return Undefined

    @classmethod
    def parse_value(cls, value):
        try:
            return cls._finite(graphene.Decimal.parse_value(value))
        except (ValueError, ArithmeticError):
            return Undefined


class UUIDScalar(graphene.UUID):
    """A UUID such as "0d6c5b0e-3f57-4f0a-9a3b-6a1a4b1c2d3e"."""

    class Meta:
        name = "UUID"

    @staticmethod
    def parse_literal(node, _variables=None):
        try:
            return graphene.UUID.parse_literal(node, _variables)
        except (ValueError, TypeError, AttributeError):
            return Undefined

    @staticmethod
    def parse_value(value):
        try:
            return graphene.UUID.parse_value(value)
        except (ValueError, TypeError, AttributeError):
            return Undefined
