"""The path every change to a map takes inside its service.

``journey_for_change`` checks the actor may edit the journey; ``change_record`` bumps the
journey's revision, stores the event and schedules its broadcast for after the commit;
``versioned_update`` applies an edit only if the object is still at the version the editor saw.

The one lock order: an edit first locks the rows it writes, each ``FOR UPDATE OF`` its own row
(the items' default ordering joins the journey, phase and lane, and a plain ``FOR UPDATE``
would lock those too) — the item itself (its conditional UPDATE, or ``item_for_change`` with
``lock``), then siblings it renumbers in id order; a delete that reaches survey responses locks
survey sources, then touchpoints, in id order, as imports do. The journey row comes *last*, in
``change_record``'s revision bump, and is held just for the bump, the event row and the commit:
edits of one busy map overlap instead of queueing behind each other's whole transaction, and
revisions still follow commit order (a second bump waits for the first to commit). Changes of
the map itself (its settings, share links) lock the journey row first and lock no item rows.
"""

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Max, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from journeys.exceptions import AccessDenied, InvalidInput, NotFound, VersionConflict
from journeys.models import Journey, JourneyEvent
from journeys.permissions import can_edit_journey, can_view_journey
from journeys.positions import GAP, position_at, renumbered
from journeys.realtime.broadcast import broadcast_journey_event, event_message

M = TypeVar("M", bound=models.Model)


def journey_for_change(
    *,
    journey_id: int | Subquery,
    actor,
    lock: bool = False,
    references: dict[str, Any] | None = None,
    last_position_in: tuple[type[models.Model], dict[str, int]] | None = None,
    not_found: str = "No such journey.",
) -> Journey:
    """The journey, or a refusal: 404 if the actor cannot see it, 403 if read-only.

    ``journey_id`` may be a subquery (``journey_of``): the journey an item is on, found in the
    same read, with ``not_found`` naming what is missing when the item is not there.

    Must be called inside ``transaction.atomic``; ``lock`` takes the journey row's lock now
    (structural changes) rather than at the revision bump. The same query answers, as
    annotations, whether the ``references`` (phase, lane, touchpoint, owner ids) exist
    (``<name>_found``, see ``reference_checks``) and ``last_position_in`` a cell
    (``cell_last_position``), sparing the hot path round trips.
    """
    also: dict[str, Any] = reference_checks(references or {})
    if last_position_in is not None:
        also["cell_last_position"] = _cell_last_position(*last_position_in)
    journeys = Journey.objects.select_for_update(of=("self",)) if lock else Journey.objects
    journey = journeys.annotate(**also).filter(pk=journey_id).order_by().first()
    if journey is None:
        raise NotFound(not_found)
    if not can_view_journey(actor, journey):
        raise NotFound("No such journey.")
    if not can_edit_journey(actor, journey):
        raise AccessDenied("You have read-only access to this journey.")
    return journey


def _found(field: str) -> str:
    # Suffixed: "owner" would clash with the journey's own field.
    return f"{field.removesuffix('_id')}_found"


def change_record(*, journey: Journey, actor, kind: str, payload: dict[str, Any]) -> JourneyEvent:
    """Number the change with the journey's next revision, log it, broadcast it after commit."""
    journey.updated_at = timezone.now()
    event = JourneyEvent(
        journey=journey,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        payload=payload,
        created_at=journey.updated_at,
    )
    if connection.vendor == "postgresql":
        _revision_bump_and_log(event)
    else:
        event.revision = _revision_bump(journey.pk, journey.updated_at)
        event.save(force_insert=True)
    journey.revision = event.revision
    transaction.on_commit(partial(broadcast_journey_event, journey.pk, event_message(event)))
    return event


def _revision_bump(journey_id: int, now) -> int:
    """The journey's next revision. The UPDATE takes the journey row's lock (held to commit), so
    revisions follow commit order. One round trip: PostgreSQL and SQLite (3.35+) both return
    the bumped value."""
    table = connection.ops.quote_name(Journey._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET revision = revision + 1, updated_at = %s WHERE id = %s "
            "RETURNING revision",
            [now, journey_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFound("No such journey.")
    return row[0]


def _revision_bump_and_log(event: JourneyEvent) -> None:
    """The bump and the event row in one statement (PostgreSQL; SQLite has no UPDATE in WITH).

    The journey lock is held from this statement to the commit: one round trip less inside it,
    and no ORM work either, shortens every edit's wait on a busy map."""
    journeys = connection.ops.quote_name(Journey._meta.db_table)
    events = connection.ops.quote_name(JourneyEvent._meta.db_table)
    payload = JourneyEvent._meta.get_field("payload").get_db_prep_save(event.payload, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH bumped AS (UPDATE {journeys} SET revision = revision + 1, updated_at = %s "
            "WHERE id = %s RETURNING revision) "
            f"INSERT INTO {events} (journey_id, revision, actor_id, kind, payload, created_at) "
            "SELECT %s, revision, %s, %s, %s, %s FROM bumped RETURNING id, revision",
            [
                event.created_at,
                event.journey_id,
                event.journey_id,
                event.actor_id,
                event.kind,
                payload,
                event.created_at,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        raise NotFound("No such journey.")
    event.pk, event.revision = row
    event._state.adding = False


def item_for_change(model: type[M], *, journey: Journey, pk: int, lock: bool = False) -> M:
    """An item of the locked journey, or 404 (never another journey's item); ``lock`` holds
    its row until commit."""
    # FOR UPDATE OF its own row: the model's ordering joins the journey, phase and lane, and a
    # plain FOR UPDATE would lock those too, against the one lock order (see the module).
    items = model.objects.select_for_update(of=("self",)) if lock else model.objects
    item = items.filter(pk=pk, journey_id=journey.pk).order_by("pk").first()
    if item is None:
        raise NotFound(f"No such {model._meta.verbose_name} on this journey.")
    return item


def versioned_update(
    model: type[M],
    *,
    journey: Journey,
    pk: int,
    version: int | None,
    changes: dict[str, Any],
    actor=None,
) -> M:
    """``UPDATE … WHERE id = pk AND version = version``; nothing updated means someone else won.

    ``version=None`` skips the check (a move that names no version); the version still advances.
    """
    rows = model.objects.filter(pk=pk, journey_id=journey.pk)
    if version is not None:
        rows = rows.filter(version=version)
    extra = {"updated_at": timezone.now()} if _has_field(model, "updated_at") else {}
    if _has_field(model, "updated_by"):
        extra["updated_by_id"] = getattr(actor, "pk", None)
    if not rows.update(**changes, **extra, version=F("version") + 1):
        current = model.objects.select_related("updated_by").filter(pk=pk, journey_id=journey.pk)
        raise VersionConflict(current.first() or item_for_change(model, journey=journey, pk=pk))
    return model.objects.get(pk=pk)


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def position_for(
    model: type[models.Model],
    *,
    journey: Journey,
    scope: dict[str, Any],
    index: int | None,
    exclude_pk: int | None = None,
) -> tuple[int, dict[int, int]]:
    """The position for an item placed at ``index`` in ``scope`` (the end when None).

    Returns the position and, when the gap ran out and the scope was renumbered, the new
    positions of the siblings (id → position) so the event can carry them to clients.
    """
    cell = model.objects.filter(journey_id=journey.pk, **scope).exclude(pk=exclude_pk)
    if index is None:
        # Appending (the common case) needs only the last position, not the whole cell.
        last = cell.aggregate(last=Max("position"))["last"]
        return (GAP if last is None else last + GAP), {}
    siblings = list(cell.order_by("position", "pk").values_list("pk", "position"))
    index = max(0, min(index, len(siblings)))
    position = position_at([p for _, p in siblings], index)
    if position is not None:
        return position, {}
    fresh = renumbered(len(siblings) + 1)
    position = fresh.pop(index)
    moved = {pk: new for (pk, _), new in zip(siblings, fresh, strict=True)}
    # Rows in id order, so two renumbers of one cell cannot deadlock.
    siblings_locked = model.objects.select_for_update(of=("self",)).filter(pk__in=moved)
    list(siblings_locked.order_by("pk").values_list("pk"))
    model.objects.bulk_update([model(pk=pk, position=p) for pk, p in moved.items()], ["position"])
    return position, moved


def journey_of(model: type[models.Model], pk: int) -> Subquery:
    """The journey an item is on, as a subquery: ``journey_for_change`` reads it with the
    journey itself, one round trip for both."""
    return Subquery(model.objects.filter(pk=pk).order_by().values("journey_id")[:1])


def item_journey_for_change(
    model: type[models.Model], *, pk: int, actor, journey_id: int | None = None
) -> Journey:
    """The journey of an item about to change (``journey_id`` when the caller knows it)."""
    return journey_for_change(
        journey_id=journey_id if journey_id is not None else journey_of(model, pk),
        actor=actor,
        not_found=f"No such {model._meta.verbose_name}.",
    )


# --- The four changes every map item supports ------------------------------------------------


@dataclass(frozen=True)
class ItemType:
    """How one kind of map item is created, edited, moved and deleted."""

    model: type[models.Model]
    name: str  # the product's word, used in event kinds: card_created, card_moved…
    serializer: type  # the output serializer shared by REST answers and events
    editable: frozenset[str]  # fields an edit may change (not placement: that is a move)
    scope: tuple[str, ...] = ()  # fields that place it in a cell: ("phase_id", "lane_id")
    clash: dict[str, str] | None = None  # the error when a unique constraint refuses a write
    # Raises for an item no editor may change or delete (a measured VoC emotion); run after
    # the access check, so whoever may not see the map still gets only a 404.
    edit_check: Callable[[models.Model], None] | None = None

    def data(self, item: models.Model) -> dict[str, Any]:
        from journeys.serializers import represent

        return represent(self.serializer, item)


@contextmanager
def _clash_refused(kind: ItemType):
    """A unique constraint lost to a concurrent write: a clear refusal, the transaction intact."""
    if kind.clash is None:
        yield  # nothing to catch: no savepoint round trips
        return
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise InvalidInput(kind.clash) from None


_ON_JOURNEY = ("phase_id", "lane_id", "touchpoint_id")
_REFERENCED = (*_ON_JOURNEY, "owner_id")


# The annotations of the journey read every edit makes are written as SQL: Django compiles an
# ``Exists(...)`` or ``Subquery(...)`` annotation in about 0.3 ms, and a card create reads three
# (1.05 ms in all; these 0.23 ms, bench/edit_cost.py). Each names the journey of the row read.
def _on_this_journey(model: type[models.Model], where: str) -> str:
    q = connection.ops.quote_name
    journey = f"{q(Journey._meta.db_table)}.{q(Journey._meta.pk.column)}"
    own_journey = q(model._meta.get_field("journey").column)
    # ``where`` is empty for a phase or lane appended to the map (its "cell" is the journey).
    conditions = " AND ".join(filter(None, (where, f"{own_journey} = {journey}")))
    return f"FROM {q(model._meta.db_table)} WHERE {conditions}"


def reference_checks(fields: dict[str, Any]) -> dict[str, RawSQL]:
    """One EXISTS per phase, lane, touchpoint or owner named, to annotate the journey's query."""
    from django.contrib.auth import get_user_model

    from journeys.models import Lane, Phase
    from touchpoints.models import Touchpoint

    models_on_journey = dict(zip(_ON_JOURNEY, (Phase, Lane, Touchpoint), strict=True))
    checks = {
        _found(field): RawSQL(
            f"EXISTS(SELECT 1 {_on_this_journey(model, 'id = %s')})",
            (fields[field],),
            output_field=models.BooleanField(),
        )
        for field, model in models_on_journey.items()
        if fields.get(field) is not None
    }
    if fields.get("owner_id") is not None:
        users = connection.ops.quote_name(get_user_model()._meta.db_table)
        checks[_found("owner_id")] = RawSQL(
            f"EXISTS(SELECT 1 FROM {users} WHERE id = %s AND is_active)",
            (fields["owner_id"],),
            output_field=models.BooleanField(),
        )
    return checks


def _cell_last_position(model: type[models.Model], scope: dict[str, int]) -> RawSQL:
    """The highest position in a cell of the journey (the cell: phase and lane, say)."""
    q = connection.ops.quote_name
    where = " AND ".join(f"{q(model._meta.get_field(f).column)} = %s" for f in scope)
    return RawSQL(
        f"SELECT MAX(position) {_on_this_journey(model, where)}",
        tuple(scope.values()),
        output_field=models.IntegerField(),
    )


def references_refuse_missing(journey: Journey, checks: Iterable[str]) -> None:
    """Refuse the references ``reference_checks`` annotated on the journey that were not found."""
    errors = {}
    for key in checks:
        if not getattr(journey, key):
            name = key.removesuffix("_found")
            errors[name] = (
                "No such active user." if name == "owner" else f"No such {name} on this journey."
            )
    if errors:
        raise InvalidInput(errors)


def references_check(journey: Journey, fields: dict[str, Any]) -> None:
    """Refuse a phase, lane, touchpoint or owner that is not on this journey (or not a user)."""
    checks = reference_checks(fields)
    if checks:
        found = Journey.objects.filter(pk=journey.pk).annotate(**checks).values(*checks).first()
        for key, value in (found or dict.fromkeys(checks, False)).items():
            setattr(journey, key, value)
        references_refuse_missing(journey, checks)


def item_create(
    kind: ItemType, *, actor, journey_id: int, fields: dict[str, Any], index: int | None = None
) -> models.Model:
    placed = _has_field(kind.model, "position")
    scope = {f: fields[f] for f in kind.scope}
    checks = [_found(f) for f in _REFERENCED if fields.get(f) is not None]
    # Appending (the common case) needs only the cell's last position: read with the rest.
    appending = placed and index is None
    with transaction.atomic():
        journey = journey_for_change(
            journey_id=journey_id,
            actor=actor,
            references=fields,
            last_position_in=(kind.model, scope) if appending else None,
        )
        references_refuse_missing(journey, checks)
        position, renumbered_ = {}, {}
        if appending:
            last = journey.cell_last_position
            position = {"position": GAP if last is None else last + GAP}
        elif placed:
            pos, renumbered_ = position_for(kind.model, journey=journey, scope=scope, index=index)
            position = {"position": pos}
        with _clash_refused(kind):
            item = kind.model.objects.create(
                journey=journey, updated_by_id=getattr(actor, "pk", None), **fields, **position
            )
        change_record(
            journey=journey,
            actor=actor,
            kind=f"{kind.name}_created",
            payload={kind.name: kind.data(item), "renumbered": renumbered_},
        )
    return item


def item_update(
    kind: ItemType,
    *,
    actor,
    pk: int,
    version: int | None,
    changes: dict[str, Any],
    journey_id: int | None = None,
) -> models.Model:
    """Change an item's fields if it is still at ``version``.

    ``journey_id``, when the caller knows the map (a socket is on one), saves reading it and
    refuses an item of another map as not found; every write below is scoped to it anyway."""
    unknown = set(changes) - kind.editable
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    with transaction.atomic():
        journey = item_journey_for_change(kind.model, pk=pk, actor=actor, journey_id=journey_id)
        if kind.edit_check is not None:
            kind.edit_check(item_for_change(kind.model, journey=journey, pk=pk))
        references_check(journey, changes)
        with _clash_refused(kind):
            item = versioned_update(
                kind.model, journey=journey, pk=pk, version=version, changes=changes, actor=actor
            )
        change_record(
            journey=journey,
            actor=actor,
            kind=f"{kind.name}_updated",
            payload={kind.name: kind.data(item)},
        )
    return item


def item_move(
    kind: ItemType,
    *,
    actor,
    pk: int,
    index: int,
    version: int | None,
    target: dict[str, Any],
    journey_id: int | None = None,
) -> models.Model:
    """Put an item at ``index`` in its target cell (its own cell for what ``target`` leaves out)."""
    with transaction.atomic():
        journey = item_journey_for_change(kind.model, pk=pk, actor=actor, journey_id=journey_id)
        item = item_for_change(kind.model, journey=journey, pk=pk)
        scope = {f: target.get(f) or getattr(item, f) for f in kind.scope}
        references_check(journey, scope)
        position, renumbered_ = position_for(
            kind.model, journey=journey, scope=scope, index=index, exclude_pk=pk
        )
        item = versioned_update(
            kind.model,
            journey=journey,
            pk=pk,
            version=version,
            changes={**scope, "position": position},
            actor=actor,
        )
        change_record(
            journey=journey,
            actor=actor,
            kind=f"{kind.name}_moved",
            payload={kind.name: kind.data(item), "renumbered": renumbered_},
        )
    return item


def item_delete(
    kind: ItemType,
    *,
    actor,
    pk: int,
    version: int | None = None,
    journey_id: int | None = None,
) -> None:
    with transaction.atomic():
        journey = item_journey_for_change(kind.model, pk=pk, actor=actor, journey_id=journey_id)
        # Locked before Django collects what cascades: a survey import holds the touchpoints
        # it matches FOR KEY SHARE (responses have no foreign-key constraint), so this waits
        # for one in flight and then unmatches every response it wrote.
        item = item_for_change(kind.model, journey=journey, pk=pk, lock=True)
        if kind.edit_check is not None:
            kind.edit_check(item)
        if version is not None and item.version != version:
            raise VersionConflict(item)
        item.delete()
        change_record(
            journey=journey,
            actor=actor,
            kind=f"{kind.name}_deleted",
            payload={kind.name: {"id": pk}},
        )
