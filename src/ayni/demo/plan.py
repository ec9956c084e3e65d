"""Which federations each demo scale creates, where, and how big.

The national plan follows the real confederation the product is built for: 58 provincial
organisations in 17 departments, weighted toward Lima Metropolitana and the southern Andes.
Lima province (1501) has several "provincial" federations, one per cone of the city, because
a single one for ten million people would be no federation at all.

Province and district codes are INEI UBIGEO codes, checked against the shipped tables by
`tests/test_demo.py`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FederationSpec:
    key: str
    province: str
    name: str
    # Districts the federation covers. None: the districts of the province that no other
    # federation of the same plan claims.
    districts: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PlannedFederation:
    spec: FederationSpec
    district_federations: int  # 0: base organisations hang directly from the provincial one
    weight: float  # share of the scale's base organisations


@dataclass(frozen=True)
class Scale:
    name: str
    federations: tuple[PlannedFederation, ...]
    base_organisations: int
    # Three years of daily reports written by the database (`national_full.py`) instead of a
    # year of reports, stock and deliveries built here: for the dashboards' benchmark.
    sql_history: bool = False
    # A second country's federation beside Peru's (its ISO code; `demo/region.py`), or None.
    second_country: str | None = None


def _specs(*rows) -> dict[str, FederationSpec]:
    return {row[0]: FederationSpec(*row) for row in rows}


CATALOGUE = _specs(
    # Lima Metropolitana, by cone.
    ("lima-sur", "1501", "Federación de Comedores Populares Autogestionarios de Lima Sur",
     ("150143", "150133", "150108", "150119", "150123", "150124")),
    ("ves", "1501", "Federación Popular de Mujeres de Villa El Salvador", ("150142",)),
    ("lima-norte", "1501", "Federación de Centrales de Comedores Populares de Lima Norte",
     ("150135", "150106", "150112", "150117", "150125", "150102", "150139")),
    ("comas", "1501", "Federación de Comedores Populares de Comas", ("150110",)),
    ("sjl", "1501", "Federación de Comedores Populares de San Juan de Lurigancho", ("150132",)),
    ("lima-este", "1501", "Federación de Comedores Populares de Lima Este",
     ("150103", "150137", "150111", "150118", "150107", "150109", "150144")),
    ("lima-centro", "1501", "Federación de Comedores Populares de Lima Cercado y Rímac",
     ("150101", "150128", "150115", "150105", "150134")),
    # Lima provinces.
    ("barranca", "1502", "Federación Provincial de Comedores Populares de Barranca"),
    ("canete", "1505", "Federación Provincial de Mujeres Organizadas de Cañete"),
    ("huaral", "1506", "Federación Provincial de Comedores de Huaral"),
    ("huarochiri", "1507", "Federación Provincial de Clubes de Madres de Huarochirí"),
    ("huaura", "1508", "Federación Provincial de Comedores Populares de Huaura"),
    # Callao.
    ("callao", "0701", "Federación de Comedores Populares del Callao",
     ("070101", "070102", "070103", "070104", "070105")),
    ("ventanilla", "0701", "Federación de Comedores y Ollas Comunes de Ventanilla", ("070106", "070107")),
    # Arequipa.
    ("arequipa", "0401", "Federación Provincial de Comedores Populares de Arequipa",
     ("040101", "040129", "040110", "040126", "040117", "040107", "040123", "040124", "040122")),
    ("arequipa-norte", "0401", "Federación de Comedores del Cono Norte de Arequipa",
     ("040104", "040103", "040128", "040108", "040102")),
    ("paucarpata", "0401", "Federación de Mujeres Organizadas de Paucarpata y Mariano Melgar",
     ("040112", "040109", "040116", "040105", "040106")),
    ("camana", "0402", "Federación Provincial de Comedores de Camaná"),
    ("caylloma", "0405", "Federación Provincial de Mujeres Campesinas de Caylloma"),
    ("islay", "0407", "Federación Provincial de Comedores de Islay"),
    # Cusco.
    ("cusco", "0801", "Federación Provincial de Comedores Populares del Cusco",
     ("080101", "080108", "080106", "080102", "080103")),
    ("cusco-sur", "0801", "Federación de Mujeres Organizadas de San Sebastián y San Jerónimo",
     ("080105", "080104", "080107")),
    ("canchis", "0806", "Federación Provincial de Mujeres de Canchis"),
    ("la-convencion", "0809", "Federación Provincial de Clubes de Madres de La Convención"),
    ("quispicanchi", "0812", "Federación Provincial de Mujeres Campesinas de Quispicanchi"),
    # Puno.
    ("puno", "2101", "Federación Provincial de Comedores Populares de Puno"),
    ("juliaca", "2111", "Federación de Comedores Populares de Juliaca", ("211101",)),
    ("san-roman", "2111", "Federación Provincial de Mujeres de San Román"),
    ("el-collao", "2105", "Federación Provincial de Mujeres Aimaras de El Collao"),
    ("azangaro", "2102", "Federación Provincial de Mujeres Campesinas de Azángaro"),
    # Ayacucho.
    ("huamanga", "0501", "Federación de Clubes de Madres de Huamanga",
     ("050101", "050104", "050115", "050116")),
    ("huamanga-comedores", "0501", "Federación Provincial de Comedores Populares de Huamanga"),
    ("huanta", "0504", "Federación Provincial de Clubes de Madres de Huanta"),
    ("la-mar", "0505", "Federación Provincial de Mujeres de La Mar"),
    # Apurímac.
    ("abancay", "0301", "Federación Provincial de Comedores Populares de Abancay"),
    ("andahuaylas", "0302", "Federación Provincial de Mujeres de Andahuaylas"),
    ("chincheros", "0306", "Federación Provincial de Clubes de Madres de Chincheros"),
    # Tacna.
    ("tacna", "2301", "Federación Provincial de Comedores Populares de Tacna"),
    ("tacna-norte", "2301", "Federación de Comedores del Cono Norte de Tacna", ("230102", "230104")),
    # Moquegua.
    ("mariscal-nieto", "1801", "Federación Provincial de Comedores de Mariscal Nieto"),
    ("ilo", "1803", "Federación Provincial de Comedores Populares de Ilo"),
    # Junín.
    ("huancayo", "1201", "Federación Provincial de Comedores Populares de Huancayo"),
    ("chanchamayo", "1203", "Federación Provincial de Mujeres de Chanchamayo"),
    ("satipo", "1206", "Federación Provincial de Mujeres Asháninkas y Colonas de Satipo"),
    # La Libertad.
    ("trujillo", "1301", "Federación Provincial de Comedores Populares de Trujillo"),
    ("sanchez-carrion", "1309", "Federación Provincial de Mujeres de Sánchez Carrión"),
    # Lambayeque.
    ("chiclayo", "1401", "Federación Provincial de Comedores Populares de Chiclayo"),
    ("lambayeque", "1403", "Federación Provincial de Clubes de Madres de Lambayeque"),
    # Piura.
    ("piura", "2001", "Federación Provincial de Comedores Populares de Piura"),
    ("sullana", "2006", "Federación Provincial de Comedores de Sullana"),
    # Ica.
    ("ica", "1101", "Federación Provincial de Comedores Populares de Ica"),
    ("chincha", "1102", "Federación Provincial de Mujeres de Chincha"),
    # Huancavelica.
    ("huancavelica", "0901", "Federación Provincial de Clubes de Madres de Huancavelica"),
    ("tayacaja", "0907", "Federación Provincial de Mujeres de Tayacaja"),
    # Áncash.
    ("santa", "0218", "Federación Provincial de Comedores Populares del Santa"),
    ("huaraz", "0201", "Federación Provincial de Comedores de Huaraz"),
    # Huánuco.
    ("huanuco", "1001", "Federación Provincial de Comedores Populares de Huánuco"),
    ("leoncio-prado", "1006", "Federación Provincial de Mujeres de Leoncio Prado"),
)


def _plan(*rows) -> tuple[PlannedFederation, ...]:
    return tuple(PlannedFederation(CATALOGUE[key], n, weight) for key, n, weight in rows)


SCALES = {
    # Every scale has Lima Sur first and Arequipa's provincial federation: the demo accounts
    # coordinadora and coordinadora2 are granted on them (see accounts.py).
    "small": Scale("small", _plan(
        ("lima-sur", 3, 40), ("sjl", 3, 30), ("arequipa", 2, 28), ("cusco", 2, 22),
    ), base_organisations=120),
    "province": Scale("province", _plan(
        ("lima-sur", 5, 90), ("ves", 4, 70), ("lima-norte", 5, 80), ("comas", 3, 55), ("sjl", 5, 85),
        ("lima-este", 4, 60), ("callao", 3, 50), ("arequipa", 3, 45), ("cusco", 2, 35), ("juliaca", 2, 30),
    ), base_organisations=600),
    "national": Scale("national", _plan(
        ("lima-sur", 6, 3.0), ("ves", 5, 3.0), ("lima-norte", 6, 3.0), ("comas", 4, 2.0), ("sjl", 6, 3.5),
        ("lima-este", 5, 2.5), ("lima-centro", 3, 1.5), ("barranca", 2, 1.0), ("canete", 2, 1.0),
        ("huaral", 2, 1.0), ("huarochiri", 0, 0.6), ("huaura", 2, 1.0),
        ("callao", 3, 2.0), ("ventanilla", 3, 2.0),
        ("arequipa", 4, 2.0), ("arequipa-norte", 3, 1.5), ("paucarpata", 2, 1.2), ("camana", 0, 0.6),
        ("caylloma", 2, 0.8), ("islay", 0, 0.6),
        ("cusco", 3, 1.5), ("cusco-sur", 2, 1.2), ("canchis", 2, 0.8), ("la-convencion", 2, 0.8),
        ("quispicanchi", 0, 0.6),
        ("puno", 2, 1.2), ("juliaca", 3, 1.5), ("san-roman", 0, 0.6), ("el-collao", 0, 0.6), ("azangaro", 2, 0.7),
        ("huamanga", 3, 1.5), ("huamanga-comedores", 2, 1.0), ("huanta", 2, 0.8), ("la-mar", 0, 0.6),
        ("abancay", 2, 0.9), ("andahuaylas", 2, 1.0), ("chincheros", 0, 0.5),
        ("tacna", 2, 1.2), ("tacna-norte", 2, 1.0),
        ("mariscal-nieto", 2, 0.7), ("ilo", 2, 0.8),
        ("huancayo", 3, 1.3), ("chanchamayo", 0, 0.6), ("satipo", 2, 0.6),
        ("trujillo", 4, 1.5), ("sanchez-carrion", 0, 0.5),
        ("chiclayo", 3, 1.3), ("lambayeque", 0, 0.6),
        ("piura", 3, 1.3), ("sullana", 2, 0.9),
        ("ica", 2, 1.0), ("chincha", 2, 0.8),
        ("huancavelica", 2, 0.7), ("tayacaja", 0, 0.5),
        ("santa", 3, 1.3), ("huaraz", 2, 0.7),
        ("huanuco", 2, 0.8), ("leoncio-prado", 0, 0.5),
    ), base_organisations=5500),
}
# The national plan at the real confederation's size: about 13,600 kitchens (comedores and ollas).
SCALES["national-full"] = Scale("national-full", SCALES["national"].federations, base_organisations=16_600,
                                sql_history=True)
# The regional network: the small Peruvian plan and, beside it, a Bolivian federation.
SCALES["region"] = Scale("region", SCALES["small"].federations, base_organisations=120, second_country="BO")

CONFEDERATION_NAME = "Confederación Nacional de Mujeres Organizadas por la Vida y el Desarrollo Integral"
CONFEDERATION_DISTRICT = "150101"  # Cercado de Lima

# Base organisation kinds and how common each is, in Lima Metropolitana/Callao and elsewhere.
# Ollas comunes are mostly a Lima phenomenon (they multiplied there during the pandemic);
# mothers' clubs and Vaso de Leche committees weigh more in the provinces.
KIND_MIX = {
    "metro": {"comedor-popular": 0.44, "olla-comun": 0.40, "club-de-madres": 0.05, "vaso-de-leche": 0.05,
              "biohuerto": 0.02, "banco-comunal": 0.02, "prevencion-violencia": 0.02},
    "provinces": {"comedor-popular": 0.64, "olla-comun": 0.18, "club-de-madres": 0.07, "vaso-de-leche": 0.05,
                  "biohuerto": 0.025, "banco-comunal": 0.02, "prevencion-violencia": 0.015},
}
METRO_PROVINCES = ("1501", "0701")
