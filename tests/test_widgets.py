"""Long option lists rendered once per language give the HTML WTForms' Select gives."""

import pytest
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.widgets import Select

from integrapath.i18n import country_choices
from integrapath.widgets import OptionListSelect


@pytest.mark.parametrize(("multiple", "chosen"), [(False, "ER"), (True, ["SY", "TR"]), (False, "")])
def test_option_list_select_renders_what_select_renders(app, multiple, chosen):
    field_class = SelectMultipleField if multiple else SelectField

    class Cached(Form):
        country = field_class(
            choices=lambda: [("", "Any"), *country_choices(), ("<x>", "a & b")],
            widget=OptionListSelect(multiple=multiple),
        )

    class Plain(Form):
        country = field_class(
            choices=lambda: [("", "Any"), *country_choices(), ("<x>", "a & b")],
            widget=Select(multiple=multiple),
        )

    for locale in ("en", "ar"):
        with app.test_request_context(headers={"Accept-Language": locale}):
            data = {"country": chosen}
            cached, plain = Cached(data=data), Plain(data=data)
            assert str(cached.country(class_="form-select")) == str(
                plain.country(class_="form-select")
            )
            html = str(cached.country())
            for value in chosen if multiple else [chosen]:
                assert f'<option selected value="{value}">' in html
