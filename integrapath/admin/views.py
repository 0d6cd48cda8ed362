"""Account, organisation and audit-log pages for municipal administrators."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from ..accounts import services as accounts
from ..accounts.models import Organisation, OrganisationKind, User
from ..audit import ACTION_LABELS
from ..auth import services as sign_in
from ..errors import RuleBroken, show_on_form
from ..extensions import paginate
from ..i18n import local_digits
from ..pathway.services import service_areas_by_organisation, service_areas_of
from ..security import Role, allow, get_scoped_or_404, menu_item
from . import bp, services
from .forms import (
    ActionForm,
    AuditFilterForm,
    NeedToKnowForm,
    OrganisationForm,
    UserCreateForm,
    UserFilterForm,
    UserRoleForm,
)

menu_item("admin.users", _l("Accounts"))
menu_item("admin.organisations", _l("Organisations"))
menu_item("admin.audit_log", _l("Audit log"))


def _fill_organisation_choices(form) -> None:
    form.organisation_id.choices = [("", _("None"))] + [
        (organisation.id, organisation.name)
        for organisation in services.organisations_for_staff(current_user)
    ]


def _organisation_from(form) -> Organisation | None:
    if not form.organisation_id.data:
        return None
    return get_scoped_or_404(Organisation, form.organisation_id.data)


@bp.route("/users")
@allow(Role.ADMIN)
def users():
    filters = UserFilterForm(request.args)
    filters.validate()
    page = paginate(
        services.users_query(
            current_user, filters.q.data, filters.role.data or None, filters.status.data or None
        ),
        services.USER_ORDER,
    )
    setting = NeedToKnowForm(
        formdata=None, need_to_know="assigned" if current_user.municipality.need_to_know else "all"
    )
    return render_template("admin/users.html", page=page, filters=filters, setting=setting)


@bp.route("/settings/need-to-know", methods=["POST"])
@allow(Role.ADMIN)
def save_need_to_know():
    form = NeedToKnowForm()
    if form.validate_on_submit():
        services.set_need_to_know(
            current_user.municipality, form.need_to_know.data == "assigned", current_user
        )
        flash(_("The setting has been saved."), "success")
    return redirect(url_for("admin.users") + "#need-to-know")


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def create_user():
    form = UserCreateForm()
    _fill_organisation_choices(form)
    if request.method == "GET":
        form.preferred_locale.data = current_user.municipality.default_locale
    if form.validate_on_submit():
        try:
            user, token = accounts.create_user(
                full_name=form.full_name.data,
                email=form.email.data,
                role=form.role.data,
                preferred_locale=form.preferred_locale.data,
                organisation=_organisation_from(form),
                actor=current_user,
            )
        except accounts.AccountError as error:
            show_on_form(form, error)
        else:
            flash(_("Account created for %(name)s.", name=user.full_name), "success")
            return render_template(
                "admin/activation_link.html",
                user=user,
                link=url_for("auth.activate", token=token, _external=True),
                done_url=url_for("admin.user_detail", user_id=user.id),
            )
    return render_template("admin/user_form.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def user_detail(user_id: int):
    user = get_scoped_or_404(User, user_id)
    sessions = sign_in.active_sessions(user)
    if user.role == Role.MIGRANT:  # bound to a case file: no role to change
        return render_template("admin/user_detail.html", user=user, form=None, sessions=sessions)
    form = UserRoleForm(obj=user)
    _fill_organisation_choices(form)
    if form.validate_on_submit():
        try:
            accounts.change_role(user, form.role.data, _organisation_from(form), current_user)
        except accounts.AccountError as error:
            show_on_form(form, error)
        else:
            flash(_("The role of %(name)s has been saved.", name=user.full_name), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template(
        "admin/user_detail.html", user=user, form=form, action_form=ActionForm(), sessions=sessions
    )


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"], defaults={"session_id": None})
@bp.route("/users/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
@allow(Role.ADMIN)
def end_sessions(user_id: int, session_id: int | None):
    """End one signed-in session of a person (a lost phone) or all of them."""
    user = get_scoped_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        ended = sign_in.end_sessions(user, current_user, session_id)
        if ended:
            message = ngettext(
                "%(num)s session of %(name)s has been ended.",
                "%(num)s sessions of %(name)s have been ended.",
                ended,
                name="\N{ZERO WIDTH NO-BREAK SPACE}",
            )
            flash(local_digits(message).replace("\N{ZERO WIDTH NO-BREAK SPACE}", user.full_name),
                  "success")  # fmt: skip
    return redirect(url_for("admin.user_detail", user_id=user.id) + "#sessions")


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow(Role.ADMIN)
def set_active(user_id: int):
    user = get_scoped_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        activate = request.form.get("active") == "1"
        try:
            accounts.set_user_active(user, activate, current_user)
        except accounts.AccountError as error:
            flash(error.message, "danger")
        else:
            if activate:
                flash(_("%(name)s can sign in again.", name=user.full_name), "success")
            else:
                flash(_("%(name)s can no longer sign in.", name=user.full_name), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@allow(Role.ADMIN)
def reset_password(user_id: int):
    user = get_scoped_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.user_detail", user_id=user.id))
    token = accounts.reset_password(user, current_user)
    flash(_("The password of %(name)s has been removed.", name=user.full_name), "success")
    return render_template(
        "admin/activation_link.html",
        user=user,
        link=url_for("auth.activate", token=token, _external=True),
        done_url=url_for("admin.user_detail", user_id=user.id),
    )


@bp.route("/organisations")
@allow(Role.ADMIN)
def organisations():
    page = paginate(services.organisations_query(current_user), services.ORGANISATION_ORDER)
    areas = service_areas_by_organisation([organisation.id for organisation in page.items])
    return render_template("admin/organisations.html", page=page, areas=areas)


@bp.route("/organisations/new", methods=["GET", "POST"], defaults={"organisation_id": None})
@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_organisation(organisation_id: int | None):
    organisation = get_scoped_or_404(Organisation, organisation_id) if organisation_id else None
    form = OrganisationForm(obj=organisation)
    if request.method == "GET" and organisation is None:
        form.kind.data = OrganisationKind.COURSE_PROVIDER.value
    if request.method == "GET" and organisation is not None:
        form.service_areas.data = [area.value for area in service_areas_of(organisation)]
    if form.validate_on_submit():
        values = {
            name: getattr(form, name).data or None
            for name in ("name", "kind", "contact_email", "phone", "address")
        }
        try:
            saved = services.save_organisation(
                organisation, values, current_user, form.service_areas.data
            )
        except RuleBroken as error:
            show_on_form(form, error)
        else:
            flash(_("%(name)s has been saved.", name=saved.name), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation_form.html", form=form, organisation=organisation)


@bp.route("/audit")
@allow(Role.ADMIN)
def audit_log():
    filters = AuditFilterForm(request.args)
    filters.action.choices = [("", _("Any"))] + [
        (code, str(label)) for code, label in ACTION_LABELS.items()
    ]
    valid = filters.validate()
    statement = services.audit_query(
        current_user,
        action=filters.action.data or None,
        actor_email=filters.actor.data or None,
        date_from=filters.date_from.data if valid else None,
        date_to=filters.date_to.data if valid else None,
    )
    page = paginate(statement, services.AUDIT_ORDER)
    return render_template("admin/audit.html", page=page, filters=filters)
