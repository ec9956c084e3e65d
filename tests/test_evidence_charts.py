"""Charts: inline SVG that a screen reader can read, with the numbers in a table, CSP-safe."""

import re

from ayni.evidence import charts

SERIES = [("Pagantes", [10, 20, None]), ("Gratuitas", [1, 2, 3])]


def test_every_chart_has_a_title_a_description_and_its_data_as_a_table():
    for chart in (charts.bar_chart("Partes por unidad", [("Lima", 80.5), ("Cusco", 40)], desc="Las que menos"),
                  charts.line_chart("Raciones", ["Ene", "Feb", "Mar"], SERIES),
                  charts.stacked_bar_chart("Raciones por tipo", ["Ene", "Feb", "Mar"], SERIES)):
        svg = chart[chart.index("<svg"):chart.index("</svg>")]
        title_id, desc_id = re.search(r'aria-labelledby="([^ ]+) ([^"]+)"', svg).groups()
        assert f'<title id="{title_id}">' in svg and f'<desc id="{desc_id}">' in svg
        assert 'role="img"' in svg and 'viewBox="0 0 360 ' in svg
        # The data table opens without JavaScript.
        assert "<details><summary>Ver los datos</summary>" in chart and "<table>" in chart
        assert "style=" not in chart and "<script" not in chart


def test_the_table_holds_the_same_numbers_as_the_drawing():
    chart = charts.stacked_bar_chart("Raciones por tipo", ["Ene", "Feb", "Mar"], SERIES)
    rows = re.findall(r"<tr>(.*?)</tr>", chart.split("<tbody>")[1])
    assert [re.findall(r"<td>(.*?)</td>", r) for r in rows] == [
        ["Ene", "10", "1", "11"], ["Feb", "20", "2", "22"], ["Mar", "—", "3", "3"]]


def test_labels_are_escaped_and_empty_data_says_so():
    chart = charts.bar_chart("Cocinas", [("<b>Comedor & Co</b>", 3)])
    assert "<b>Comedor" not in chart and "&lt;b&gt;Comedor &amp; Co&lt;/b&gt;" in chart
    assert "Sin datos en este periodo." in charts.bar_chart("Cocinas", [])


def test_at_most_six_month_labels_so_they_do_not_overlap_on_a_phone():
    labels = [f"M{i}" for i in range(36)]
    chart = charts.line_chart("Tres años", labels, [("Raciones", list(range(36)))])
    svg = chart[chart.index("<svg"):chart.index("</svg>")]
    shown = [lab for lab in labels if f">{lab}</text>" in svg]
    assert len(shown) <= 7 and shown[-1] == "M35"
