from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ayni.geo.models import District
from ayni.lib.text import fold


@login_required
def district_search(request):
    """Find a district's UBIGEO code by name: a page that works without JavaScript."""
    text = request.GET.get("q", "").strip()
    results = []
    if len(text) >= 3:
        qs = District.objects.select_related("province", "department")
        results = list(qs.filter(code__startswith=text)[:30]) if text.isdigit() else \
            list(qs.filter(name__icontains=fold(text).upper())[:30])
    return render(request, "geo/district_search.html", {"q": text, "results": results})
