"""The text-message language a leader types on a basic phone (*mensajes de texto*).

    R 120 30 10      today's rations: paying, subsidised, free
    S ARROZ 50       food received (50 kg of rice)
    U ACEITE 3       food used
    C SIN GAS        the kitchen did not cook today, and why
    ?                help

Case, accents and extra punctuation do not matter, and Quechua keywords work where they exist
(MIKUY, CHASKIY, TUKUY, WICHQAY, YANAPAY). `parse` never raises anything but `ParseError`,
whose message says exactly what was wrong in words she can act on.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ayni.kitchens.models import MovementKind
from ayni.lib.text import fold, strip_controls

MAX_LENGTH = 480  # three SMS; anything longer is not one of our messages

KEYWORDS = {
    "report": {"r", "raciones", "racion", "parte", "mikuy"},
    "received": {"s", "recibi", "recibimos", "recibido", "llego", "entrada", "chaskiy", "chaskini"},
    "used": {"u", "use", "usamos", "usado", "gastamos", "salida", "tukuy", "tukuni"},
    "closed": {"c", "cerrado", "cerramos", "cerrada", "wichqay", "wisqay"},
    "help": {"?", "ayuda", "help", "h", "yanapay"},
}
# Words a leader uses for the catalogue's items (codes of `FoodItem`), folded.
ITEM_WORDS = {
    "arroz": "arroz", "azucar": "azucar",
    "menestra": "menestras", "menestras": "menestras", "frejol": "menestras", "frijol": "menestras",
    "lenteja": "menestras", "lentejas": "menestras", "arveja": "menestras", "arvejas": "menestras",
    "conserva": "conserva-pescado", "conservas": "conserva-pescado", "atun": "conserva-pescado",
    "pescado": "conserva-pescado", "lata": "conserva-pescado", "latas": "conserva-pescado",
    "aceite": "aceite", "avena": "avena", "fideo": "fideos", "fideos": "fideos", "tallarin": "fideos",
    "papa": "papa", "papas": "papa", "pollo": "pollo", "huevo": "huevos", "huevos": "huevos",
    "verdura": "verduras", "verduras": "verduras", "gas": "gas", "balon": "gas",
}
# Optional word after the quantity of an `S` message: where the food came from (default: the
# state programme, which is what most deliveries to a kitchen are).
SOURCE_WORDS = {
    "estado": MovementKind.STATE_DELIVERY, "pca": MovementKind.STATE_DELIVERY, "qaliwarma": MovementKind.STATE_DELIVERY,
    "municipal": MovementKind.MUNICIPAL_DELIVERY, "municipalidad": MovementKind.MUNICIPAL_DELIVERY,
    "muni": MovementKind.MUNICIPAL_DELIVERY,
    "donacion": MovementKind.DONATION, "donado": MovementKind.DONATION, "donaron": MovementKind.DONATION,
    "cosecha": MovementKind.HARVEST, "biohuerto": MovementKind.HARVEST, "huerto": MovementKind.HARVEST,
}
UNIT_SUFFIX = re.compile(r"^(\d+(?:[.,]\d+)?)(kg|k|kilos?|l|lt|litros?|u|unid|latas?|balon(?:es)?)$")
CONFIRM_WORDS = {"ok", "si", "!"}
# The keywords above that are Quechua: a text that starts with one is answered in Quechua.
QUECHUA_KEYWORDS = {"mikuy", "chaskiy", "chaskini", "tukuy", "tukuni", "wichqay", "wisqay", "yanapay"}
MAX_COUNT = 100_000


@dataclass(frozen=True)
class Command:
    action: str  # report | received | used | closed | help
    paying: int = 0
    subsidised: int = 0
    free: int = 0
    item: str = ""
    quantity: Decimal = Decimal(0)
    kind: str = ""
    party: str = ""
    reason: str = ""
    confirm: bool = False


class ParseError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def help_text() -> str:
    return _("Envíe: R 120 30 10 (raciones pagantes, subsidiadas, gratuitas de hoy) · S ARROZ 50 (recibió) · "
             "U ACEITE 3 (usó) · C SIN GAS (no cocinó, y por qué) · ? (ayuda)")


def reply_language(text: str, spoken: set[str] = frozenset()) -> str:
    """The language of the answer to a text: Quechua when she wrote in Quechua (its first word is
    a Quechua keyword, whatever Spanish words follow: CHASKIY ARROZ 50), or when the registry says
    she speaks Quechua and not Spanish (`people.Language` codes); Spanish otherwise."""
    tokens = _tokens(text) if isinstance(text, str) else []
    if tokens and tokens[0] in QUECHUA_KEYWORDS:
        return "qu"
    return "qu" if "quechua" in spoken and "castellano" not in spoken else "es"


def _tokens(text: str) -> list[str]:
    folded = fold(text.replace("'", "").replace("’", ""))
    folded = re.sub(r"[,;:/|_\-=]+(?=\D|$)", " ", folded)  # separators, but keep 2,5 as a number
    folded = re.sub(r"(?<=\d),(?=\D)|(?<=\D),(?=\d)", " ", folded)
    tokens = folded.split()
    if tokens:  # the keyword glued to a number: R120 → R 120
        glued = re.match(r"^([a-z?]+)(\d[\d.,]*)$", tokens[0])
        if glued:
            tokens[:1] = [glued.group(1), glued.group(2)]
        elif tokens[0].startswith("?") and len(tokens[0]) > 1:
            tokens[:1] = ["?", tokens[0][1:]]
    return tokens


def _count(token: str) -> int:
    if not token.isdigit():
        raise ParseError(_("«%(t)s» no es un número entero. Ejemplo: R 120 30 10") % {"t": token.upper()})
    value = int(token)
    if value > MAX_COUNT:
        raise ParseError(_("%(n)s raciones no es posible: revise el número.") % {"n": value})
    return value


def _quantity(token: str) -> Decimal | None:
    match = UNIT_SUFFIX.match(token)
    raw = match.group(1) if match else token
    if not re.fullmatch(r"\d+(?:[.,]\d+)?", raw):
        return None
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the regex already ruled it out
        return None


def _report(args: list[str]) -> Command:
    # Rations are whole numbers, so a comma between digits separates them: R 120,30,10.
    numbers = [part for t in args for part in t.split(",") if part]
    if len(numbers) < 3:
        raise ParseError(_("Faltan números: después de R escriba raciones pagantes, subsidiadas y gratuitas. "
                           "Ejemplo: R 120 30 10 (escriba 0 si no hubo)."))
    if len(numbers) > 3:
        raise ParseError(_("Hay %(n)s números y se esperan 3: pagantes, subsidiadas y gratuitas. "
                           "Ejemplo: R 120 30 10") % {"n": len(numbers)})
    paying, subsidised, free = (_count(t) for t in numbers)
    return Command("report", paying=paying, subsidised=subsidised, free=free)


def _movement(action: str, args: list[str], original: str) -> Command:
    letter = "S" if action == "received" else "U"
    example = _("Ejemplo: %(l)s ARROZ 50") % {"l": letter}
    quantities = [(i, q) for i, t in enumerate(args) if (q := _quantity(t)) is not None]
    if not quantities:
        raise ParseError(_("Falta la cantidad. %(example)s") % {"example": example})
    index, quantity = quantities[0]
    words = args[:index] if index else args[1:]
    rest = args[index + 1:] if index else []
    item = next((ITEM_WORDS[w] for w in words if w in ITEM_WORDS), None)
    if not words:
        raise ParseError(_("Falta el alimento. %(example)s") % {"example": example})
    if item is None:
        raise ParseError(_("No conozco el alimento «%(w)s». Use: arroz, azúcar, menestras, conserva, aceite, avena, "
                           "fideos, papa, pollo, huevos, verduras, gas.") % {"w": " ".join(words).upper()})
    if quantity <= 0:
        raise ParseError(_("La cantidad debe ser mayor que cero. %(example)s") % {"example": example})
    kind, party = (MovementKind.STATE_DELIVERY if action == "received" else MovementKind.USED), ""
    if action == "received" and rest:
        source = SOURCE_WORDS.get(rest[0])
        if source is not None:
            kind = source
            party = " ".join(original.split()[-(len(rest) - 1):]) if len(rest) > 1 else ""
    if kind == MovementKind.DONATION and not party:
        raise ParseError(_("Indique quién donó. Ejemplo: S ARROZ 50 DONACION PARROQUIA"))
    return Command(action, item=item, quantity=quantity, kind=kind, party=party[:120])


def _closed(original: str) -> Command:
    # Keep her own words for the reason, without the keyword.
    reason = original.strip().split(None, 1)[1].strip() if len(original.split()) > 1 else ""
    reason = re.sub(r"^[,;:\-]+\s*", "", reason)
    if not reason:
        raise ParseError(_("Indique por qué no se cocinó. Ejemplo: C SIN GAS"))
    return Command("closed", reason=reason[:120])


def parse(text: str) -> Command:
    if isinstance(text, str):  # no control character or bidi override means anything in a command
        text = strip_controls(text)
    if not isinstance(text, str) or not text.strip():
        raise ParseError(_("El mensaje llegó vacío. %(help)s") % {"help": help_text()})
    if len(text) > MAX_LENGTH:
        raise ParseError(_("El mensaje es demasiado largo. %(help)s") % {"help": help_text()})
    tokens = _tokens(text)
    if not tokens:
        raise ParseError(_("No entendí el mensaje. %(help)s") % {"help": help_text()})
    confirm = False
    if len(tokens) > 1 and tokens[-1] in CONFIRM_WORDS:
        confirm, tokens = True, tokens[:-1]
    keyword, args = tokens[0], tokens[1:]
    action = next((a for a, words in KEYWORDS.items() if keyword in words), None)
    if action is None:
        shown = text.strip().split()[0][:20].upper()
        raise ParseError(_("No entendí «%(w)s». %(help)s") % {"w": shown, "help": help_text()})
    if action == "help":
        return Command("help")
    if action == "report":
        command = _report(args)
    elif action == "closed":
        return _closed(re.sub(r"\s+(ok|si|!)\s*$", "", text, flags=re.IGNORECASE) if confirm else text)
    else:
        command = _movement(action, args, text.strip())
    return Command(**{**command.__dict__, "confirm": confirm})
