"""Vocabulary for synthetic people and organisations: Peruvian names, places and patrons.

Everything here is plain data. The lists are long enough that a national demo (100,000
people) does not look repetitive, and regional enough that Puno reads like Puno: Aymara
surnames around the lake, Quechua ones in the southern Andes, Spanish and Mochica-Tallán ones
on the northern coast, and a mixture in Lima, where most socias are migrants or their
daughters.
"""

# --- Given names -------------------------------------------------------------------------------
# Women born before about 1975 carry the names of the saints' calendar and of their mothers;
# younger women more often the names of telenovelas and of English. Compound names ("María
# Elena") are very common in both generations.
WOMEN_OLDER = [
    "María", "Rosa", "Juana", "Carmen", "Julia", "Teodora", "Eulogia", "Felícitas", "Celestina",
    "Justina", "Filomena", "Epifanía", "Dominga", "Jesusa", "Paulina", "Alejandrina", "Agripina",
    "Santusa", "Saturnina", "Benedicta", "Gregoria", "Sabina", "Modesta", "Aurelia", "Francisca",
    "Leonor", "Bertha", "Zoila", "Irma", "Olga", "Delia", "Hilda", "Nélida", "Yolanda", "Gladys",
    "Norma", "Vilma", "Haydée", "Isabel", "Esperanza", "Victoria", "Consuelo", "Elsa", "Raquel",
    "Martha", "Lucía", "Marcelina", "Natividad", "Asunción", "Fortunata", "Petronila", "Hermelinda",
    "Clotilde", "Rufina", "Eusebia", "Basilia", "Antonia", "Margarita", "Emilia", "Teresa",
    "Benita", "Florentina", "Marina", "Angélica", "Luzmila", "Zenobia", "Graciela", "Violeta",
]
WOMEN_YOUNGER = [
    "Milagros", "Karina", "Jessica", "Katherine", "Yesenia", "Lizbeth", "Roxana", "Elizabeth",
    "Maribel", "Marleni", "Yeni", "Sonia", "Miriam", "Betty", "Nancy", "Rocío", "Susana",
    "Giovanna", "Evelyn", "Fiorella", "Yovana", "Mery", "Edith", "Marisol", "Soledad", "Pilar",
    "Lourdes", "Patricia", "Verónica", "Janet", "Lisbeth", "Yanet", "Ruth", "Noemí", "Judith",
    "Diana", "Vanessa", "Sandra", "Liliana", "Erika", "Paola", "Cinthia", "Deysi", "Flor",
    "Madeleine", "Nataly", "Yuliana", "Sheyla", "Kelly", "Melissa", "Angélica", "Rosmery",
    "Luz", "Estefany", "Mayra", "Gabriela", "Daniela", "Analí", "Brenda", "Magaly", "Marilú",
]
# Compound names written as one unit; a share of others is made by pairing "María"/"Rosa"…
# with a second name.
WOMEN_COMPOUND = [
    "María Elena", "Carmen Rosa", "Luz Marina", "Flor de María", "Rosa Luz", "Ana María",
    "María Luisa", "Rosa María", "María del Carmen", "Gloria Esther", "Luz Angélica",
    "Juana Rosa", "María Isabel", "María Teresa", "Ruth Noemí", "Rosa Elvira", "Nelly Marisol",
    "María Jesús", "Carmen Julia", "Flor Marina", "Luz Elena", "Sonia Beatriz", "María Magdalena",
    "Yolanda Rosa", "Edith Maribel", "Milagros del Pilar", "Rosa Amelia", "Ana Luisa",
]
COMPOUND_FIRST = ["María", "Rosa", "Ana", "Luz", "Carmen", "Juana", "Flor", "Gloria"]

MEN = [
    "Juan", "José", "Pedro", "Carlos", "Víctor", "Hugo", "Mario", "Julio César", "Wilber",
    "Edwin", "Alberto", "Teófilo", "Valentín", "Eusebio", "Fortunato", "Celestino", "Percy",
    "Jhon", "Walter", "Raúl", "Freddy", "José Luis", "Juan Carlos", "Miguel Ángel", "Segundo",
    "Florencio", "Máximo", "Nicanor", "Justo", "Ronald", "Elmer", "Alfredo", "Luis Alberto",
]

# --- Surnames ------------------------------------------------------------------------------------
QUECHUA = [
    "Quispe", "Huamán", "Ccahuana", "Huanca", "Cusi", "Poma", "Taipe", "Huarcaya", "Huayhua",
    "Ayma", "Chipana", "Llacta", "Pumacahua", "Ñahui", "Ccopa", "Sulca", "Huallpa", "Paucar",
    "Rimachi", "Yauri", "Ccoyllo", "Tito", "Inca", "Auccapuma", "Huisa", "Cusihuamán", "Chalco",
    "Huaraca", "Llamoca", "Yupanqui", "Ccori", "Huillca", "Quispe", "Huamaní", "Ccanto", "Soncco",
    "Allcca", "Cconislla", "Mayhua", "Sihuincha", "Huachaca", "Ñaupari", "Tupa", "Oré", "Pillaca",
    "Condori", "Quispe", "Huamán", "Mamani", "Illa", "Cjuro", "Champi", "Puma", "Callañaupa",
]
AYMARA = [
    "Mamani", "Condori", "Choque", "Ticona", "Apaza", "Chambi", "Cutipa", "Copa", "Calisaya",
    "Quenta", "Limachi", "Ninaja", "Choquehuanca", "Coila", "Machaca", "Yujra", "Layme",
    "Huarachi", "Catacora", "Ccama", "Mayta", "Pari", "Coaquira", "Calla", "Chura", "Ccallo",
    "Mamani", "Condori", "Quispe", "Ramos", "Flores", "Cahui", "Velásquez", "Aruquipa", "Tarqui",
]
# Northern coast: surnames of Mochica and Tallán origin beside the Spanish ones.
NORTHERN = [
    "Chunga", "Sernaqué", "Yovera", "Ipanaqué", "Chapoñán", "Llontop", "Seclén", "Chozo",
    "Nizama", "Purizaca", "Querevalú", "Temoche", "Ancajima", "Antón", "Chiroque", "Facundo",
]
SPANISH = [
    "García", "Rodríguez", "Flores", "Rojas", "Sánchez", "Torres", "Ramírez", "Díaz", "Gonzales",
    "Vásquez", "Castillo", "Chávez", "Ramos", "Mendoza", "Gutiérrez", "Vargas", "Romero",
    "Fernández", "Pérez", "López", "Espinoza", "Salazar", "Cruz", "Medina", "Castro", "Herrera",
    "Aguilar", "Ruiz", "Ríos", "Silva", "Morales", "Reyes", "Jiménez", "Palomino", "Navarro",
    "Ortiz", "Córdova", "Paredes", "Delgado", "Cárdenas", "Carrasco", "Alarcón", "Vega", "Zapata",
    "Mejía", "Benites", "Rivera", "Campos", "Lozano", "Villanueva", "Salinas", "Tello", "Valdivia",
    "Zegarra", "Linares", "Valencia", "Arias", "Cáceres", "Bellido", "Huertas", "Contreras",
    "Gamarra", "Cabrera", "Santos", "Guzmán", "Meza", "Soto", "Peña", "Miranda", "Carbajal",
    "Rosales", "Bustamante", "Villegas", "Escobar", "Zúñiga", "Aranda", "Chumpitaz", "Oblitas",
]

# How often a surname is Quechua, Aymara or northern in each department (the rest is Spanish).
# Lima and Callao: most socias came from the Andes, or their parents did.
SURNAME_MIX: dict[str, tuple[float, float, float]] = {
    # dept: (quechua, aymara, northern)
    "15": (0.40, 0.04, 0.04), "07": (0.35, 0.03, 0.05),
    "04": (0.35, 0.15, 0.0), "23": (0.20, 0.35, 0.0), "18": (0.25, 0.30, 0.0),
    "08": (0.70, 0.03, 0.0), "03": (0.72, 0.0, 0.0), "05": (0.68, 0.0, 0.0), "09": (0.68, 0.0, 0.0),
    "21": (0.40, 0.45, 0.0), "12": (0.40, 0.0, 0.0), "10": (0.35, 0.0, 0.0), "02": (0.40, 0.0, 0.02),
    "13": (0.10, 0.0, 0.15), "14": (0.05, 0.0, 0.35), "20": (0.03, 0.0, 0.40), "11": (0.25, 0.0, 0.02),
}
DEFAULT_SURNAME_MIX = (0.25, 0.02, 0.03)

# Share of socias who speak each language, by department. Nearly everyone also speaks
# Castellano; a few older women in the Andes speak only their mother tongue.
LANGUAGE_MIX: dict[str, dict[str, float]] = {
    "15": {"quechua": 0.12}, "07": {"quechua": 0.08},
    "04": {"quechua": 0.22, "aimara": 0.05}, "23": {"aimara": 0.20, "quechua": 0.05},
    "18": {"aimara": 0.15, "quechua": 0.10},
    "08": {"quechua": 0.72}, "03": {"quechua": 0.75}, "05": {"quechua": 0.65}, "09": {"quechua": 0.68},
    "21": {"quechua": 0.42, "aimara": 0.38}, "12": {"quechua": 0.18, "ashaninka": 0.04},
    "10": {"quechua": 0.35}, "02": {"quechua": 0.35},
}

# --- Organisations -------------------------------------------------------------------------------
PATRONS = [
    "Virgen de Fátima", "Santa Rosa de Lima", "Señor de los Milagros", "Virgen de la Candelaria",
    "San Martín de Porres", "Sagrado Corazón de Jesús", "Virgen del Carmen", "Cristo Rey",
    "Niño Jesús", "Madre Teresa de Calcuta", "María Auxiliadora", "Virgen de Guadalupe",
    "Virgen de las Mercedes", "Señor de Luren", "Virgen de la Puerta", "Señor de Muruhuay",
    "Virgen de Cocharcas", "Santísima Cruz", "San Francisco de Asís", "Virgen de Lourdes",
    "Santa Teresita del Niño Jesús", "Juan Pablo II", "Virgen del Rosario", "San José Obrero",
    "Virgen de la Asunción", "Señor de Huanca", "Santa Ana", "Sarita Colonia",
]
# Patrons that belong to one department, used there more often.
REGIONAL_PATRONS = {
    "04": ["Virgen de Chapi", "Virgen de Characato"],
    "08": ["Señor de los Temblores", "Señor de Qoyllur Rit'i", "Virgen de Belén"],
    "21": ["Virgen de la Candelaria", "Señor de Huanca", "Virgen de Copacabana"],
    "05": ["Señor de Quinuapata", "Virgen de Cocharcas"],
    "03": ["Virgen de Cocharcas", "Señor de Ánimas"],
    "13": ["Virgen de la Puerta"],
    "11": ["Señor de Luren", "Virgen de Yauca"],
    "20": ["Señor Cautivo de Ayabaca"],
    "14": ["Divino Niño del Milagro"],
}
# Names women give their organisation for what it stands for.
VIRTUES = [
    "Las Emprendedoras", "Mujeres Unidas", "Nueva Esperanza", "Rayito de Sol", "Las Luchadoras",
    "Manos Unidas", "Amor y Paz", "Sumaq Mikhuy", "Ayni", "Mujeres del Futuro", "Unidas Venceremos",
    "Las Vencedoras", "Fuerza y Progreso", "Corazones Solidarios", "Nuevo Amanecer", "Mujeres de Fe",
    "Las Incansables", "Pan de Vida", "Solidaridad", "Las Hormiguitas", "Juntas Podemos",
    "Warmi Kallpa", "Mamakuna", "Semillas de Esperanza", "Mujeres Valientes", "Unión y Fuerza",
    "Los Emprendedores", "Las Perseverantes", "Luz y Esperanza", "Estrella de Belén",
]
# Women and men the movement names its organisations after.
HEROINES = [
    "María Elena Moyano", "Micaela Bastidas", "Túpac Amaru", "José Carlos Mariátegui",
    "Flora Tristán", "Trinidad María Enríquez", "Bartolina Sisa", "Mama Ocllo", "César Vallejo",
    "José María Arguedas", "Chabuca Granda", "Dora Mayer", "María Parado de Bellido",
]
# Settlement names: asentamientos humanos, pueblos jóvenes, associations, barrios.
SETTLEMENTS = [
    "Los Jardines", "Pachacútec", "10 de Octubre", "Nueva Esperanza", "Las Lomas", "Villa Hermosa",
    "Santa Rosa", "Héroes del Cenepa", "Túpac Amaru", "José Carlos Mariátegui", "Bayóvar",
    "Huáscar", "El Progreso", "Señor de los Milagros", "Las Praderas", "Virgen de Lourdes",
    "Juan Pablo II", "Mariscal Cáceres", "9 de Octubre", "Año Nuevo", "El Ermitaño", "Collique",
    "Laderas de Chillón", "Cerro Candela", "Las Flores", "Santa María", "Los Ángeles", "El Paraíso",
    "Micaela Bastidas", "San Francisco", "Villa Los Reyes", "Nuevo Horizonte",
    "Las Palmeras", "Sol Naciente", "Mirador", "Los Cedros", "San Gabriel", "Primero de Mayo",
    "Santa Clara", "Nuevo Milenio", "Las Brisas", "Vista Alegre", "Los Portales", "El Trébol",
    "Los Pinos", "Pueblo Libre", "Villa Sol", "Manuel Scorza", "Las Terrazas", "Bello Horizonte",
    "Jardines de Manchay", "Cruz de Motupe", "Enrique Montenegro", "Sarita Colonia", "Proyectos Especiales",
]
# Kinds of settlement, as addresses write them (coast and cities) and in the Andes.
SETTLEMENT_KINDS = ["AA.HH.", "AA.HH.", "AA.HH.", "P.J.", "Asoc. de Vivienda", "Urb. Popular", "Sector"]
ANDEAN_SETTLEMENT_KINDS = ["Barrio", "Barrio", "Comunidad Campesina", "Centro Poblado", "AA.HH.", "Urb."]
STREET_KINDS = ["Jr.", "Av.", "Calle", "Psje."]
STREET_NAMES = [
    "Los Olivos", "Túpac Amaru", "Lima", "Grau", "Bolognesi", "San Martín", "Libertad", "28 de Julio",
    "Los Incas", "Manco Cápac", "Revolución", "Las Flores", "Huáscar", "Arequipa", "Cusco",
    "Progreso", "Unión", "Sánchez Cerro", "Micaela Bastidas", "Ayacucho", "Los Álamos", "Central",
]

# Sectors of the big districts, for district federations inside a one-district zone.
SECTORS = {
    "150132": ["Zona Canto Grande", "Zona Bayóvar", "Zona Huáscar", "Zona Mariscal Cáceres",
               "Zona Jicamarca", "Zona Campoy", "Zona Zárate", "Zona Motupe"],
    "150142": ["Sector 1", "Sector 2", "Sector 3", "Pachacámac", "Oasis de Villa", "Lomo de Corvina",
               "Sector 6", "Parcela Agropecuaria"],
    "150110": ["Collique", "Santa Luzmila", "La Libertad", "El Carmen", "Año Nuevo", "Zona Alta"],
    "211101": ["Zona Norte", "Zona Sur", "Zona Este", "Zona Oeste", "Zona Centro"],
}
GENERIC_SECTORS = ["Zona Norte", "Zona Sur", "Zona Este", "Zona Oeste", "Zona Centro", "Zona Alta", "Zona Baja"]

DISTRICT_FEDERATION_TEMPLATES = [
    "Federación Distrital de Comedores Populares de {place}",
    "Central de Comedores Populares de {place}",
    "Federación Distrital de Mujeres Organizadas de {place}",
    "Coordinadora Distrital de Comedores y Ollas Comunes de {place}",
    "Central de Comedores Autogestionarios de {place}",
]

STATUS_REASONS = {
    "inactive": [
        "Sin local desde que venció el préstamo del local comunal",
        "Dejó de recibir alimentos del programa de complementación alimentaria",
        "Las socias migraron por trabajo de temporada",
        "Sin agua en el sector desde hace meses",
        "Junta directiva sin renovar y sin actividad",
    ],
    "suspended": [
        "Suspendida por la municipalidad: padrón de socias sin actualizar",
        "Observación en la rendición de cuentas del PCA",
        "Suspendida en asamblea hasta regularizar el libro de actas",
    ],
    "closed": [
        "Cierre acordado en asamblea: las socias se integraron al comedor vecino",
        "Olla común cerrada al terminar la emergencia sanitaria",
        "Disolución por falta de socias",
        "Perdió el local por desalojo",
    ],
}

REQUIREMENT_NOTES = [
    "Copia legalizada", "Original a la vista", "Falta firma de la fiscal", "Actualizado en asamblea",
    "Copia simple; pendiente legalizar", "Revisado en visita al local",
]

# Words the INEI tables write without accents, restored for display.
ACCENTS = {
    "Apurimac": "Apurímac", "Ancash": "Áncash", "Huanuco": "Huánuco", "Junin": "Junín",
    "Martin": "Martín", "Roman": "Román", "Jesus": "Jesús", "Maria": "María", "Lurin": "Lurín",
    "Rimac": "Rímac", "Pachacamac": "Pachacámac", "Huaman": "Huamán", "Azangaro": "Azángaro",
    "Huancane": "Huancané", "Camana": "Camaná", "Caraveli": "Caravelí", "Huarochiri": "Huarochirí",
    "Oyon": "Oyón", "Concepcion": "Concepción", "Chepen": "Chepén", "Julcan": "Julcán", "Viru": "Virú",
    "Sanchez": "Sánchez", "Carrion": "Carrión", "Chimu": "Chimú", "Bolivar": "Bolívar",
    "Morropon": "Morropón", "Peru": "Perú", "Jose": "José", "Andres": "Andrés", "Caceres": "Cáceres",
    "Victor": "Víctor", "Tupac": "Túpac", "Sebastian": "Sebastián",
    "Jeronimo": "Jerónimo", "Inclan": "Inclán", "Albarracin": "Albarracín",
    "Leon": "León", "Ramon": "Ramón", "Belen": "Belén", "Cayalti": "Cayaltí", "Pucala": "Pucalá",
    "Tuman": "Tumán", "Monsefu": "Monsefú", "Oyotun": "Oyotún", "Eten": "Etén", "Vitor": "Vítor",
    "Sabandia": "Sabandía", "Plateria": "Platería", "Amantani": "Amantaní", "Huancan": "Huancán",
    "Pucara": "Pucará", "Agustin": "Agustín", "Tunan": "Tunán", "Lucia": "Lucía", "Nazca": "Nasca",
}
PARTICLES = {"de", "del", "la", "las", "los", "y", "el"}
