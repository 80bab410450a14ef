"""Coordinators' pages. Every view checks `tracker.domain.permissions` before it reads a form."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from tracker.auth import current_person, login_required
from tracker.clock import today
from tracker.domain.entities import EntityDirectory, UnknownName, parse_entities_text, set_entities
from tracker.domain.items import apply_timeline
from tracker.domain.permissions import (
    can_change_person,
    can_create_working_group,
    can_edit_workplan,
    can_export,
    can_manage_directory,
    can_open_manage,
    is_owner,
    require,
)
from tracker.domain.status import Actor, record_creation
from tracker.exchange import export_registry, export_results, export_rows, write_rows
from tracker.exchange.documents import TARGETS
from tracker.exchange.documents.word import write_workplan_docx
from tracker.exchange.files import RESULT_COLUMNS, write_table
from tracker.exchange.limits import WEB_LIMITS, FileRefused
from tracker.extensions import db
from tracker.forms import options
from tracker.manage import bp
from tracker.manage.forms import (
    ActivityForm,
    ApplyImportForm,
    EntityForm,
    ImportForm,
    MappingForm,
    MilestoneForm,
    PersonForm,
    WorkingGroupForm,
)
from tracker.manage.imports import choose_columns, run_upload, store_upload, upload_options
from tracker.manage.models import ImportUpload
from tracker.models import (
    Activity,
    Entity,
    EntityAlias,
    GroupRole,
    Milestone,
    MilestoneKind,
    Person,
    PersonRole,
    Status,
    WorkingGroup,
    WorkingGroupEntity,
    code_sort_key,
    name_key,
    parse_lead_days,
    utcnow,
)
from tracker.timeline import parse_timeline


def _me() -> Person:
    person = current_person()
    assert person is not None  # login_required
    return person


def _get(model: type[Any], object_id: int) -> Any:
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _coordinated(person: Person) -> list[WorkingGroup]:
    groups = db.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.short_name))
    return [g for g in groups if can_edit_workplan(person, g)]


def _version_conflict(form: Any, current: int) -> bool:
    """The item changed since the form was opened: say so and let the coordinator decide."""
    if form.version.data and int(form.version.data) != current:
        form.version.errors = [
            "Someone else changed this meanwhile; the fields show your version. Check the item's "
            "page in another tab, then save again to keep yours."
        ]
        form.version.data = str(current)
        return True
    return False


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    person = _me()
    require(can_open_manage(person), "managing is for coordinators")
    return render_template(
        "manage/index.html",
        groups=_coordinated(person),
        may_create_group=can_create_working_group(person),
    )


# --- working groups -------------------------------------------------------------------------


def _entities() -> list[tuple[int, str]]:
    return [
        (e.id, e.acronym) for e in db.session.scalars(sa.select(Entity).order_by(Entity.acronym))
    ]


def _save_group(form: WorkingGroupForm, group: WorkingGroup) -> bool:
    clash = db.session.scalars(
        sa.select(WorkingGroup).where(
            sa.func.lower(WorkingGroup.short_name) == form.short_name.data.strip().lower(),
            WorkingGroup.id != (group.id or 0),
        )
    ).first()
    if clash is not None:
        form.short_name.errors = ["Another working group has this short name."]
        return False
    both = set(form.leads.data) & set(form.members.data)
    if both:
        form.members.errors = ["An entity is either a lead or a member, not both."]
        return False
    group.short_name = form.short_name.data.strip()
    group.name = form.name.data.strip()
    group.description = (form.description.data or "").strip()
    group.objectives = "\n".join(
        line.strip() for line in (form.objectives.data or "").splitlines() if line.strip()
    )
    group.contact_email = (form.contact_email.data or "").strip() or None
    group.reminder_lead_days = ",".join(
        str(d) for d in parse_lead_days(form.reminder_lead_days.data or "")
    )
    wanted = {eid: GroupRole.LEAD for eid in form.leads.data} | {
        eid: GroupRole.MEMBER for eid in form.members.data
    }
    for link in list(group.entity_links):
        if link.entity_id not in wanted:
            group.entity_links.remove(link)
        else:
            link.role = wanted.pop(link.entity_id)
    for entity_id, role in wanted.items():
        group.entity_links.append(WorkingGroupEntity(entity_id=entity_id, role=role))
    return True


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def new_group() -> ResponseReturnValue:
    person = _me()
    require(can_create_working_group(person), "only coordinators create working groups")
    form = WorkingGroupForm()
    form.leads.choices = form.members.choices = options(_entities())
    if form.validate_on_submit():
        group = WorkingGroup()
        if _save_group(form, group):
            db.session.add(group)
            person.working_groups.append(group)
            db.session.commit()
            flash(f"Working group {group.short_name} created; you coordinate it.", "success")
            return redirect(url_for("manage.group", group_id=group.id))
    status = 400 if form.is_submitted() else 200
    return render_template("manage/group_form.html", form=form, group=None), status


@bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
@login_required
def group(group_id: int) -> ResponseReturnValue:
    group = _get(WorkingGroup, group_id)
    require(can_edit_workplan(_me(), group), f"you do not coordinate {group.short_name}")
    form = WorkingGroupForm(obj=None if request.method == "POST" else group)
    form.leads.choices = form.members.choices = options(_entities())
    if request.method != "POST":
        form.leads.data = [e.id for e in group.lead_entities]
        form.members.data = [e.id for e in group.member_entities]
    elif form.validate_on_submit() and _save_group(form, group):
        db.session.commit()
        flash(f"Working group {group.short_name} saved.", "success")
        return redirect(url_for("manage.group", group_id=group.id))
    activities = db.session.scalars(
        sa.select(Activity).where(Activity.working_group_id == group.id).order_by(Activity.sort_key)
    ).all()
    milestones = db.session.scalars(
        sa.select(Milestone).where(Milestone.working_group_id == group.id).order_by(Milestone.code)
    ).all()
    status = 400 if form.is_submitted() else 200
    return render_template(
        "manage/group_form.html",
        form=form,
        group=group,
        activities=activities,
        milestones=milestones,
    ), status


# --- activities -----------------------------------------------------------------------------


def _descendant_ids(activity: Activity) -> set[int]:
    found, todo = set(), list(activity.children)
    while todo:
        child = todo.pop()
        if child.id not in found:
            found.add(child.id)
            todo.extend(child.children)
    return found


def _parent_choices(group: WorkingGroup, activity: Activity | None) -> list[SelectChoice]:
    excluded = {activity.id, *_descendant_ids(activity)} if activity else set()
    rows = db.session.scalars(
        sa.select(Activity).where(Activity.working_group_id == group.id).order_by(Activity.sort_key)
    )
    return options(
        [("", "– none, a top-level activity –")]
        + [(str(a.id), f"{a.code} {a.title[:80]}") for a in rows if a.id not in excluded]
    )


def _save_activity(form: ActivityForm, activity: Activity, group: WorkingGroup) -> bool:
    code = form.code.data.strip()
    clash = (
        db.session.scalars(
            sa.select(Activity.id).where(
                Activity.working_group_id == group.id,
                sa.func.lower(Activity.code) == code.lower(),
                Activity.id != (activity.id or 0),
            )
        ).first()
        or db.session.scalars(
            sa.select(Milestone.id).where(
                Milestone.working_group_id == group.id,
                sa.func.lower(Milestone.code) == code.lower(),
            )
        ).first()
    )
    if clash is not None:
        form.code.errors = [f"{group.short_name} already has an item with code {code}."]
        return False
    entities_text = (form.entities.data or "").strip()
    try:
        pairs = parse_entities_text(entities_text, EntityDirectory.load(db.session))
    except (UnknownName, ValueError) as exc:
        form.entities.errors = [str(exc)]
        return False
    activity.working_group = group
    activity.code = code
    activity.sort_key = code_sort_key(code)
    activity.parent_id = int(form.parent.data) if form.parent.data else None
    activity.title = form.title.data.strip()
    activity.description = (form.description.data or "").strip()
    apply_timeline(activity, parse_timeline(form.timeline.data or ""))
    set_entities(activity, pairs, entities_text)
    return True


@bp.route("/groups/<int:group_id>/activities/new", methods=["GET", "POST"])
@login_required
def new_activity(group_id: int) -> ResponseReturnValue:
    group = _get(WorkingGroup, group_id)
    person = _me()
    require(can_edit_workplan(person, group), f"you do not coordinate {group.short_name}")
    form = ActivityForm()
    form.parent.choices = _parent_choices(group, None)
    if request.method != "POST" and request.args.get("parent", "").isdigit():
        form.parent.data = request.args["parent"]
    if form.validate_on_submit():
        activity = Activity(status=Status(form.status.data))
        if _save_activity(form, activity, group):
            db.session.add(activity)
            db.session.flush()
            record_creation(db.session, activity, Actor.of(person, "web"))
            db.session.commit()
            flash(f"Activity {activity.code} created.", "success")
            return redirect(url_for("main.activity", activity_id=activity.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "manage/activity_form.html", form=form, group=group, activity=None
    ), status


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit_activity(activity_id: int) -> ResponseReturnValue:
    activity = _get(Activity, activity_id)
    group = activity.working_group
    require(can_edit_workplan(_me(), group), f"you do not coordinate {group.short_name}")
    form = ActivityForm(
        obj=None if request.method == "POST" else activity,
        data=None
        if request.method == "POST"
        else {
            "entities": activity.entities_text,
            "timeline": activity.timeline_text,
            "parent": str(activity.parent_id or ""),
            "version": str(activity.version),
        },
    )
    del form.status  # status changes go through the progress form, into the history
    form.parent.choices = _parent_choices(group, activity)
    if (
        form.validate_on_submit()
        and not _version_conflict(form, activity.version)
        and _save_activity(form, activity, group)
    ):
        db.session.commit()
        flash(f"Activity {activity.code} saved.", "success")
        return redirect(url_for("main.activity", activity_id=activity.id))
    status = 400 if form.is_submitted() else 200
    if form.version.errors:
        status = 409
    return render_template(
        "manage/activity_form.html", form=form, group=group, activity=activity
    ), status


# --- milestones -----------------------------------------------------------------------------


def _activity_choices(group: WorkingGroup) -> list[SelectChoice]:
    rows = db.session.scalars(
        sa.select(Activity).where(Activity.working_group_id == group.id).order_by(Activity.sort_key)
    )
    return options(
        [("", "– the working group itself –")]
        + [(str(a.id), f"{a.code} {a.title[:80]}") for a in rows]
    )


def _save_milestone(form: MilestoneForm, milestone: Milestone, group: WorkingGroup) -> bool:
    code = form.code.data.strip()
    clash = (
        db.session.scalars(
            sa.select(Milestone.id).where(
                Milestone.working_group_id == group.id,
                sa.func.lower(Milestone.code) == code.lower(),
                Milestone.id != (milestone.id or 0),
            )
        ).first()
        or db.session.scalars(
            sa.select(Activity.id).where(
                Activity.working_group_id == group.id, sa.func.lower(Activity.code) == code.lower()
            )
        ).first()
    )
    if clash is not None:
        form.code.errors = [f"{group.short_name} already has an item with code {code}."]
        return False
    milestone.working_group = group
    milestone.code = code
    milestone.kind = MilestoneKind(form.kind.data)
    milestone.activity_id = int(form.activity.data) if form.activity.data else None
    milestone.title = form.title.data.strip()
    milestone.description = (form.description.data or "").strip()
    milestone.start_time = form.start_time.data
    milestone.end_time = form.end_time.data
    milestone.timezone = (form.timezone.data or "").strip() or None
    milestone.location = (form.location.data or "").strip()
    apply_timeline(milestone, parse_timeline(form.date_text.data or ""))
    return True


@bp.route("/groups/<int:group_id>/milestones/new", methods=["GET", "POST"])
@login_required
def new_milestone(group_id: int) -> ResponseReturnValue:
    group = _get(WorkingGroup, group_id)
    person = _me()
    require(can_edit_workplan(person, group), f"you do not coordinate {group.short_name}")
    form = MilestoneForm()
    form.activity.choices = _activity_choices(group)
    if request.method != "POST" and request.args.get("activity", "").isdigit():
        form.activity.data = request.args["activity"]
    if form.validate_on_submit():
        milestone = Milestone(status=Status(form.status.data))
        if _save_milestone(form, milestone, group):
            db.session.add(milestone)
            db.session.flush()
            record_creation(db.session, milestone, Actor.of(person, "web"))
            db.session.commit()
            flash(f"Milestone {milestone.code} created.", "success")
            return redirect(url_for("main.milestone", milestone_id=milestone.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "manage/milestone_form.html", form=form, group=group, milestone=None
    ), status


@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
@login_required
def edit_milestone(milestone_id: int) -> ResponseReturnValue:
    milestone = _get(Milestone, milestone_id)
    group = milestone.working_group
    require(can_edit_workplan(_me(), group), f"you do not coordinate {group.short_name}")
    form = MilestoneForm(
        obj=None if request.method == "POST" else milestone,
        data=None
        if request.method == "POST"
        else {
            "kind": milestone.kind.value,
            "activity": str(milestone.activity_id or ""),
            "version": str(milestone.version),
        },
    )
    del form.status
    form.activity.choices = _activity_choices(group)
    if (
        form.validate_on_submit()
        and not _version_conflict(form, milestone.version)
        and _save_milestone(form, milestone, group)
    ):
        db.session.commit()
        flash(f"Milestone {milestone.code} saved.", "success")
        return redirect(url_for("main.milestone", milestone_id=milestone.id))
    status = 409 if form.version.errors else 400 if form.is_submitted() else 200
    return render_template(
        "manage/milestone_form.html", form=form, group=group, milestone=milestone
    ), status


# --- entities -------------------------------------------------------------------------------


@bp.route("/entities")
@login_required
def entities() -> ResponseReturnValue:
    require(can_manage_directory(_me()), "entities are managed by administrators")
    rows = db.session.scalars(
        sa.select(Entity).options(so.selectinload(Entity.aliases)).order_by(Entity.acronym)
    ).all()
    return render_template("manage/entities.html", entities=rows)


def _save_entity(form: EntityForm, entity: Entity) -> bool:
    """Acronym, name and aliases must each name one entity only."""
    aliases = [a.strip() for a in (form.aliases.data or "").split(",") if a.strip()]
    names = [form.acronym.data.strip(), form.name.data.strip(), *aliases]
    directory = EntityDirectory.load(db.session)
    for name in names:
        other = directory.find(name)
        if other is not None and other.id != entity.id:
            target = form.aliases if name in aliases else form.acronym
            if name == form.name.data.strip():
                target = form.name
            target.errors = [f"“{name}” already names {other.acronym}."]
            return False
    entity.acronym = form.acronym.data.strip()
    entity.name = form.name.data.strip()
    entity.contact_email = (form.contact_email.data or "").strip() or None
    wanted = {name_key(a): a for a in aliases}
    for alias in list(entity.aliases):
        if wanted.pop(alias.alias_key, None) is None:
            entity.aliases.remove(alias)
    entity.aliases.extend(EntityAlias(alias=a, alias_key=k) for k, a in wanted.items())
    return True


@bp.route("/entities/new", methods=["GET", "POST"])
@bp.route("/entities/<int:entity_id>/edit", methods=["GET", "POST"])
@login_required
def edit_entity(entity_id: int | None = None) -> ResponseReturnValue:
    require(can_manage_directory(_me()), "entities are managed by administrators")
    entity = _get(Entity, entity_id) if entity_id is not None else Entity()
    form = EntityForm(
        obj=entity if request.method != "POST" and entity_id else None,
        data={"aliases": ", ".join(a.alias for a in entity.aliases)}
        if request.method != "POST" and entity_id
        else None,
    )
    if form.validate_on_submit() and _save_entity(form, entity):
        db.session.add(entity)
        db.session.commit()
        flash(f"Entity {entity.acronym} saved.", "success")
        return redirect(url_for("manage.entities"))
    status = 400 if form.is_submitted() else 200
    return render_template("manage/entity_form.html", form=form, entity=entity), status


# --- people ---------------------------------------------------------------------------------


@bp.route("/people")
@login_required
def people() -> ResponseReturnValue:
    me = _me()
    require(can_open_manage(me), "people are managed by coordinators")
    rows = db.session.scalars(
        sa.select(Person)
        .options(so.joinedload(Person.entity), so.selectinload(Person.working_groups))
        .order_by(Person.name)
    ).all()
    return render_template("manage/people.html", people=rows, may_add=can_manage_directory(me))


def _details(person: Person) -> tuple[Any, ...]:
    """What only an administrator changes: everything of a person but their groups."""
    if person.id is None:
        return ()
    return (person.name, person.email, person.entity_id, person.role, person.active)


@bp.route("/people/new", methods=["GET", "POST"])
@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit_person(person_id: int | None = None) -> ResponseReturnValue:
    me = _me()
    if person_id is None:
        require(can_manage_directory(me), "new people are added by administrators")
    require(can_open_manage(me), "people are managed by coordinators")
    person = _get(Person, person_id) if person_id is not None else Person(active=True)
    editing = request.method != "POST" and person_id is not None
    form = PersonForm(
        obj=person if editing else None,
        data={
            "entity": str(person.entity_id or ""),
            "role": person.role.value,
            "working_groups": [g.id for g in person.working_groups],
        }
        if editing
        else None,
    )
    form.entity.choices = options([("", "– none –")] + [(str(i), a) for i, a in _entities()])
    groups = db.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.short_name)).all()
    form.working_groups.choices = options((g.id, g.short_name) for g in groups)
    if form.validate_on_submit():
        email = form.email.data.strip()
        clash = db.session.scalars(
            sa.select(Person).where(
                sa.func.lower(Person.email) == email.lower(), Person.id != (person.id or 0)
            )
        ).first()
        if clash is not None:
            form.email.errors = ["Someone else has this address."]
        elif person.id == me.id and not form.active.data:
            form.active.errors = ["You cannot deactivate yourself."]
        else:
            details = (
                form.name.data.strip(),
                email,
                int(form.entity.data) if form.entity.data else None,
                PersonRole(form.role.data),
                form.active.data,
            )
            wanted = [g for g in groups if g.id in set(form.working_groups.data)]
            require(
                can_change_person(
                    me,
                    details_changed=details != _details(person),
                    groups_changed=set(wanted) ^ set(person.working_groups),
                ),
                "coordinators add people to, and take them off, only the working groups they "
                "coordinate; an administrator changes the rest",
            )
            person.name, person.email, person.entity_id, person.role, person.active = details
            person.working_groups = wanted
            db.session.add(person)
            db.session.commit()
            flash(f"{person.name} saved.", "success")
            return redirect(url_for("manage.people"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "manage/person_form.html",
        form=form,
        person=person,
        administrator=can_manage_directory(me),
    ), status


# --- import and export ----------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_files_page() -> ResponseReturnValue:
    person = _me()
    require(can_open_manage(person), "importing is for coordinators")
    form = ImportForm()
    form.working_group.choices = [("", "–")] + [
        (g.short_name, g.short_name) for g in _coordinated(person)
    ]
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("manage/import.html", form=form, limits=WEB_LIMITS), status
    try:
        upload = store_upload(
            db.session, person, form.files.data, form.pasted.data, form.working_group.data
        )
    except FileRefused as exc:
        form.files.errors = [str(exc)]
        return render_template("manage/import.html", form=form, limits=WEB_LIMITS), 413
    db.session.commit()
    return _preview(upload, person)


def _own_upload(upload_id: int) -> tuple[Person, ImportUpload]:
    person = _me()
    upload = _get(ImportUpload, upload_id)
    require(is_owner(person, upload.person_id), "this upload is someone else's")
    return person, upload


@bp.route("/import/<int:upload_id>")
@login_required
def import_preview(upload_id: int) -> ResponseReturnValue:
    person, upload = _own_upload(upload_id)
    if upload.applied_at is not None:
        flash("This upload was applied already.", "error")
        return redirect(url_for("manage.index"))
    return _preview(upload, person)


@bp.route("/import/<int:upload_id>/mapping", methods=["POST"])
@login_required
def import_mapping(upload_id: int) -> ResponseReturnValue:
    """Read one of the upload's tables with the columns as the person set them."""
    _person, upload = _own_upload(upload_id)
    form = MappingForm()
    if upload.applied_at is not None or not form.validate_on_submit():
        abort(400)
    columns = {
        int(name.removeprefix("column-")): value
        for name, value in request.form.items()
        if name.startswith("column-") and name.removeprefix("column-").isdigit()
    }
    choose_columns(upload, form.table.data, [columns.get(i, "") for i in range(len(columns))])
    db.session.commit()
    return redirect(url_for("manage.import_preview", upload_id=upload.id))


def _preview(upload: ImportUpload, person: Person, note: str | None = None) -> ResponseReturnValue:
    outcome = run_upload(db.session, upload, person, today(), keep=False)
    apply_form = ApplyImportForm(formdata=None, preview_digest=outcome.digest)
    return render_template(
        "manage/import_preview.html",
        upload=upload,
        outcome=outcome,
        form=apply_form,
        mapping_form=MappingForm(formdata=None),
        options=upload_options(upload),
        targets=TARGETS,
        note=note,
    ), (400 if outcome.errors else 200)


@bp.route("/import/<int:upload_id>/apply", methods=["POST"])
@login_required
def apply_import(upload_id: int) -> ResponseReturnValue:
    person, upload = _own_upload(upload_id)
    form = ApplyImportForm()
    if upload.applied_at is not None:
        flash("This upload was applied already.", "error")
        return redirect(url_for("manage.index"))
    if not form.validate_on_submit():
        abort(400)
    outcome = run_upload(db.session, upload, person, today(), keep=True)
    if outcome.errors or outcome.digest != form.preview_digest.data:
        db.session.rollback()
        return _preview(
            upload,
            person,
            "The workplan changed since the preview; nothing was applied. "
            "This is what the import would do now.",
        )
    upload.applied_at = utcnow()
    db.session.commit()
    assert outcome.report is not None
    flash("Imported: " + outcome.report.lines()[-1] + ".", "success")
    return redirect(url_for("manage.index"))


EXPORT_FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "toml": "application/toml",
    "results": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@bp.route("/export")
@login_required
def export() -> ResponseReturnValue:
    person = _me()
    require(can_open_manage(person), "exporting is for coordinators")
    fmt = request.args.get("format")
    if fmt is None:
        return render_template("manage/export.html", groups=_coordinated(person))
    if fmt not in EXPORT_FORMATS:
        abort(400, f"unknown format {fmt!r}; use csv, xlsx, docx, results or toml")
    stamp = f"{today():%Y-%m-%d}"
    with tempfile.TemporaryDirectory() as folder:
        if fmt == "toml":
            path = Path(folder) / f"registry-{stamp}.toml"
            export_registry(db.session, path)
        else:
            short = request.args.get("working_group", "")
            if short:
                group = db.session.scalars(
                    sa.select(WorkingGroup).where(WorkingGroup.short_name == short)
                ).first()
                if group is None:
                    abort(404)
                require(can_export(person, group), f"you do not coordinate {group.short_name}")
                groups = [group]
            else:
                groups = _coordinated(person)
            results = [row for g in groups for row in export_results(db.session, g.short_name)]
            if fmt == "results":
                path = Path(folder) / f"results-{short or 'all'}-{stamp}.csv"
                write_table(path, results, RESULT_COLUMNS)
            elif fmt == "docx":
                path = Path(folder) / f"workplan-{short or 'all'}-{stamp}.docx"
                write_workplan_docx(db.session, path, groups, today())
            else:
                rows = [row for g in groups for row in export_rows(db.session, g.short_name)]
                path = Path(folder) / f"workplan-{short or 'all'}-{stamp}.{fmt}"
                write_rows(path, rows, results if fmt == "xlsx" else None)
        data = path.read_bytes()
    return send_file(
        io.BytesIO(data),
        as_attachment=True,
        download_name=path.name,
        mimetype=EXPORT_FORMATS[fmt],
    )
