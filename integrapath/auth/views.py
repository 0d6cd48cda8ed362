"""Sign-in, sign-out, activation, password change and the language switcher."""

import time

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..i18n import SESSION_KEY, format_number
from ..security import Role, allow, is_safe_redirect, public
from . import bp, services
from .forms import ActivationCodeForm, ActivationForm, LanguageForm, LoginForm, PasswordChangeForm

ALL_ROLES = tuple(Role)
# The code of a letter, between typing it and choosing the password (the person's own cookie).
CODE_SESSION_KEY = "activation_code"
HOME_ENDPOINTS = {
    Role.ADMIN: "admin.users",
    Role.CASEWORKER: "pathway.my_day",  # what needs attention today; the caseload is a tap away
    Role.PROVIDER: "courses.provider_home",
    Role.MIGRANT: "portal.home",
}


def home_url() -> str:
    """Return the landing page of the signed-in user's role."""
    return url_for(HOME_ENDPOINTS[current_user.role])


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(home_url())
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(home_url())
    form = LoginForm()
    if form.validate_on_submit():
        if delay := services.sign_in_delay(form.email.data):
            time.sleep(delay)  # many failures of this account from elsewhere: slow, not locked
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        except services.SignInThrottled as refused:
            form.form_errors.append(
                _(
                    "Too many failed sign-in attempts. Please wait %(minutes)s minutes and "
                    "try again.",
                    minutes=format_number(refused.minutes),
                )
            )
        except services.InvalidCredentials:
            form.form_errors.append(_("The e-mail address or password is not correct."))
        else:
            # A new session on sign-in. A language picked on this page becomes the
            # person's preference, so the app stays in the language they just chose.
            chosen_locale = session.get(SESSION_KEY)
            session.clear()
            if chosen_locale:
                services.set_preferred_locale(user, chosen_locale)
            login_user(user)
            services.start_session(user)
            target = request.args.get("next")
            return redirect(target if is_safe_redirect(target) else home_url())
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(*ALL_ROLES)
def logout():
    services.record_logout(current_user._get_current_object())
    services.end_current_session()
    logout_user()
    session.clear()
    flash(_("You have been signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*ALL_ROLES)
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except services.InvalidCredentials:
            form.current_password.errors.append(_("The current password is not correct."))
        else:
            login_user(user)  # the session token changed; keep this session signed in
            flash(_("Your password has been changed."), "success")
            return redirect(home_url())
    return render_template("auth/change_password.html", form=form)


@bp.route("/activate/<token>", methods=["GET", "POST"])
@public
def activate(token: str):
    try:
        user = services.user_for_activation(token)
    except services.InvalidActivationLink:
        return render_template("auth/activation_invalid.html"), 404
    g.person_locale = user.preferred_locale  # the invitee's language, unless they pick another
    form = ActivationForm()
    if form.validate_on_submit():
        return _welcome(services.activate_account(token, form.new_password.data))
    return render_template("auth/activate.html", form=form, user=user)


def _welcome(user):
    """Sign in the person who just chose their first password, in a new session."""
    services.end_current_session()
    logout_user()
    session.clear()
    login_user(user)
    services.start_session(user)
    flash(_("Welcome, %(name)s. Your account is ready.", name=user.full_name), "success")
    return redirect(home_url())


@bp.route("/code", methods=["GET", "POST"])
@public
def enter_code():
    """Where a newcomer types the code of their letter, when they cannot scan its QR code."""
    if current_user.is_authenticated:
        return redirect(home_url())
    form = ActivationCodeForm()
    if form.validate_on_submit():
        try:
            services.user_for_activation_code(form.code.data, request.remote_addr)
        except services.SignInThrottled as refused:
            form.form_errors.append(
                _(
                    "Too many wrong codes. Please wait %(minutes)s minutes and try again.",
                    minutes=format_number(refused.minutes),
                )
            )
        except services.InvalidActivationLink:
            form.code.errors.append(
                _(
                    "This code does not work. It was used already, or it is too old. "
                    "Please ask your integration office for a new letter."
                )
            )
        else:
            session[CODE_SESSION_KEY] = form.code.data
            return redirect(url_for("auth.activate_with_code"))
    return render_template("auth/enter_code.html", form=form)


@bp.route("/code/password", methods=["GET", "POST"])
@public
def activate_with_code():
    """Choose the first password after typing a valid code (the same page as the link's)."""
    code = session.get(CODE_SESSION_KEY) or ""
    try:
        user = services.user_for_activation_code(code, request.remote_addr)
    except (services.InvalidActivationLink, services.SignInThrottled):
        session.pop(CODE_SESSION_KEY, None)
        return redirect(url_for("auth.enter_code"))
    g.person_locale = user.preferred_locale
    form = ActivationForm()
    if form.validate_on_submit():
        return _welcome(
            services.activate_account_with_code(code, form.new_password.data, request.remote_addr)
        )
    return render_template("auth/activate.html", form=form, user=user)


@bp.route("/language", methods=["POST"])
@public
def switch_language():
    form = LanguageForm()
    target = form.next.data
    if form.validate_on_submit():
        session[SESSION_KEY] = form.locale.data
        if current_user.is_authenticated:
            services.set_preferred_locale(current_user._get_current_object(), form.locale.data)
    if not is_safe_redirect(target):
        target = url_for("auth.index")
    return redirect(target)
