"""Database lookups Django lacks, registered when the project starts.

Django leaves out of `exact`, `gt` and the other comparisons on an integer
column any value no row can hold, but passes such values on in `in`. There
SQLite's driver raises OverflowError for an int beyond 64 bits, so a form's
choice or a filter given "99999999999999999999" answered with a 500 on the
embedded default (PostgreSQL compares such a number without complaint).
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

# No integer column of any backend holds a value outside 64 bits.
_LOWEST, _HIGHEST = -(2**63), 2**63 - 1


def _possible(values: Iterable[Any]) -> list[Any]:
    return [v for v in values if not isinstance(v, int) or _LOWEST <= v <= _HIGHEST]


@IntegerField.register_lookup
class IntegerIn(In):
    """`in` on an integer column, without the ints no column can hold."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            self.rhs = _possible(self.rhs)
        return super().process_rhs(compiler, connection)


@ForeignObject.register_lookup
class RelatedIntegerIn(RelatedIn):
    """`in` on a relation, without the ints no column can hold."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            self.rhs = _possible(self.rhs)
        return super().process_rhs(compiler, connection)
