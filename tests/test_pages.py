"""Every page is well-formed for assistive technology: one h1, unique ids, labelled fields."""

import collections
import re


def test_pages_have_one_h1_unique_ids_and_a_label_for_every_field(every_page):
    for name, page in every_page.items():
        assert page.count("<h1") == 1, name
        ids = collections.Counter(re.findall(r'\sid="([^"]+)"', page))
        assert [id_ for id_, count in ids.items() if count > 1] == [], name
        labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', page))
        for attributes in re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page):
            if re.search(r'type="(hidden|submit)"', attributes):
                continue
            field_id = re.search(r'\sid="([^"]+)"', attributes)
            assert field_id and field_id.group(1) in labelled, (name, attributes[:80])
