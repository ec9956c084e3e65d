"""Pictures where words fail (issue 20, item 6): each ration type on the daily form and each food
item on the kitchen's stock has its small inline picture, hidden from screen readers, and they
cost the page little."""

import gzip
import re

import pytest
from django.urls import reverse

from ayni.kitchens.models import FoodItem
from ayni.kitchens.pictos import PATHS, picto
from tests.kitchens import TODAY, move

pytestmark = pytest.mark.django_db


def test_every_food_of_the_catalogue_has_its_own_picture():
    assert set(FoodItem.objects.values_list("code", flat=True)) <= set(PATHS)
    assert picto("quinua") == picto("_")  # a food added later gets the sack until it has one
    assert 'aria-hidden="true"' in picto("arroz") and len(picto("arroz")) < 260


def test_the_daily_form_shows_a_picture_beside_each_ration_type(login, world):
    page = login(world.leader).get(reverse("kitchens:report", kwargs={"pk": world.kitchen.pk,
                                                                      "day": TODAY.isoformat()}))
    html = page.content.decode()
    for field in ("rations_prepared", "served_paying", "served_subsidised", "served_free"):
        label = re.search(rf'<label for="id_{field}"[^>]*>(.*?)</label>', html, re.S).group(1)
        assert label.startswith('<svg class="picto"') and PATHS[field] in label


def test_the_stock_shows_a_picture_per_food_and_the_pictures_weigh_little(login, world):
    move(world.kitchen, "arroz", "state", 20)
    move(world.kitchen, "aceite", "state", 5)
    client = login(world.leader)
    html = client.get(reverse("kitchens:kitchen", kwargs={"pk": world.kitchen.pk})).content.decode()
    assert PATHS["arroz"] in html and PATHS["aceite"] in html
    zipped = gzip.compress(html.encode())
    without = gzip.compress(re.sub(r'<svg class="picto".*?</svg>', "", html).encode())
    assert len(zipped) - len(without) < 600  # bytes over the wire for all of them
