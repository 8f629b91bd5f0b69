"""``--format html``: one self-contained page (inline CSS, no script, no external resource).

The template is ``templates/scan_report.html.j2``; values are autoescaped, so a column name or
comment from an untrusted database cannot inject markup.
"""

from __future__ import annotations

from functools import cache

import jinja2

from eduguard.discovery.render.labels import level_label, pi_type_label, pi_types_text, yes_no
from eduguard.discovery.render.summary import is_highlighted, is_personal, summarise
from eduguard.discovery.report import ScanReport


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("eduguard.discovery.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        level_label=level_label,
        pi_type_label=pi_type_label,
        pi_types_text=pi_types_text,
        yes_no=yes_no,
    )
    environment.tests.update(highlighted=is_highlighted, personal=is_personal)
    return environment


def render_html(report: ScanReport) -> str:
    template = _environment().get_template("scan_report.html.j2")
    return template.render(report=report, summary=summarise(report))
