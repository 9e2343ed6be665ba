"""Word tables used by the normaliser: abbreviations, units, currencies, acronyms, months."""

from __future__ import annotations

MONTHS = (
    "January February March April May June July August September October November December"
).split()
MONTH_ABBREVIATIONS = {
    "Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "Jun": "June",
    "Jul": "July", "Aug": "August", "Sep": "September", "Sept": "September", "Oct": "October",
    "Nov": "November", "Dec": "December",
}

#: Abbreviations with a period that always expand the same way (case-sensitive keys).
ABBREVIATIONS = {
    "Mr": "mister", "Mrs": "missus", "Ms": "miz", "Messrs": "messieurs", "Mme": "madame",
    "Prof": "professor", "Gen": "general", "Capt": "captain", "Lt": "lieutenant",
    "Col": "colonel", "Sgt": "sergeant", "Maj": "major", "Cpl": "corporal", "Adm": "admiral",
    "Cmdr": "commander", "Rev": "reverend", "Hon": "honorable", "Gov": "governor",
    "Sen": "senator", "Rep": "representative", "Pres": "president", "Supt": "superintendent",
    "Insp": "inspector", "Det": "detective", "Drs": "doctors", "Jr": "junior", "Sr": "senior",
    "Mt": "mount", "Ft": "fort", "Ave": "avenue", "Blvd": "boulevard", "Rd": "road",
    "Co": "company", "Corp": "corporation", "Inc": "incorporated", "Ltd": "limited",
    "Bros": "brothers", "Dept": "department", "Univ": "university", "Assn": "association",
    "etc": "et cetera", "vs": "versus", "approx": "approximately", "esp": "especially",
    "est": "established", "govt": "government", "Govt": "government", "dept": "department",
    "Esq": "esquire", "Vol": "volume", "vol": "volume", "Ch": "chapter", "ch": "chapter",
    "Fig": "figure", "fig": "figure", "pp": "pages", "Ph.D": "P H D",
}
#: Multi-dot abbreviations (matched literally, case-insensitive).
DOTTED = {
    "e.g.": "for example", "i.e.": "that is", "a.m.": "a m", "p.m.": "p m",
    "a.k.a.": "also known as", "cf.": "compare", "viz.": "namely", "ca.": "circa",
    "et al.": "et al", "n.b.": "note", "P.S.": "P S", "Ph.D.": "P H D",
}

#: unit symbol -> (singular, plural); only expanded right after a number.
UNITS = {
    "km": ("kilometer", "kilometers"), "m": ("meter", "meters"), "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"), "mi": ("mile", "miles"), "ft": ("foot", "feet"),
    "yd": ("yard", "yards"), "yds": ("yard", "yards"), "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"), "mg": ("milligram", "milligrams"), "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"), "l": ("liter", "liters"),
    "L": ("liter", "liters"), "ml": ("milliliter", "milliliters"), "mL": ("milliliter", "milliliters"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"), "Kb": ("kilobit", "kilobits"),
    "Mb": ("megabit", "megabits"), "Gb": ("gigabit", "gigabits"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "MW": ("megawatt", "megawatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "V": ("volt", "volts"), "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"), "kph": ("kilometer per hour", "kilometers per hour"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"), "min": ("minute", "minutes"),
    "hr": ("hour", "hours"), "hrs": ("hour", "hours"), "h": ("hour", "hours"),
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"), "K": ("kelvin", "kelvin"), "dB": ("decibel", "decibels"),
    "px": ("pixel", "pixels"), "bn": ("billion", "billion"),
}

#: currency sign -> (major singular, major plural, minor singular, minor plural)
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "sen", "sen"),
    "₹": ("rupee", "rupees", "paisa", "paise"),
}
#: scale words after an amount ("$5 million", "$5m", "€2bn")
SCALES = {
    "thousand": "thousand", "k": "thousand", "K": "thousand", "million": "million", "m": "million",
    "mn": "million", "M": "million", "billion": "billion", "bn": "billion", "b": "billion",
    "B": "billion", "trillion": "trillion", "tn": "trillion", "T": "trillion",
}

#: All-capital words read as words, not spelled.
READ_ACRONYMS = {
    "NASA", "NATO", "UNESCO", "UNICEF", "OPEC", "FIFA", "NAFTA", "LASER", "RADAR", "SCUBA",
    "AIDS", "NASDAQ", "GIF", "JPEG", "PIN", "SIM", "SWAT", "ZIP", "POTUS", "SCOTUS", "COVID",
    "ASCII", "UEFA", "NOAA", "IKEA", "ISIS", "WHO", "DARPA", "FEMA", "OSHA", "SARS", "MERS",
    "NORAD", "SONAR", "TASER", "YAML", "JSON", "WAV", "RAM", "ROM", "LAN", "WAN", "CAD",
}
#: All-capital words that are ordinary words in shouted text.
COMMON_CAPS = {
    "A", "I", "AN", "AM", "AS", "AT", "BE", "BY", "DO", "GO", "HE", "IF", "IN", "IS", "IT", "ME",
    "MY", "NO", "OF", "OH", "ON", "OR", "SO", "TO", "UP", "WE", "THE", "AND", "ARE", "BUT", "FOR",
    "HIS", "HER", "NOT", "YOU", "ALL", "OUR", "WAS", "HAS", "HAD", "ONE", "TWO", "NEW", "NOW",
    "OLD", "OUT", "SHE", "THEY", "THIS", "THAT", "WITH", "FROM", "HAVE", "WILL", "YOUR", "WHAT",
    "WHEN", "KING", "LORD", "GOD", "STOP", "HELP", "NOTE", "JUST", "LIKE", "LOVE", "OPEN",
    "SALE", "FREE", "BEST", "GOOD", "HOLY", "EXIT", "WORD", "WORK", "HOME", "LIFE", "DEAD",
    "YES", "OK", "OKAY", "WHY", "HOW", "WHO", "BIG", "END", "HERE", "THERE", "VERY", "MUCH",
}

#: Names that take a regnal number ("Henry VIII" -> "Henry the eighth"); "I" only after these.
REGNAL_NAMES = {
    "Henry", "Edward", "George", "William", "Charles", "James", "Richard", "John", "Louis",
    "Elizabeth", "Mary", "Anne", "Victoria", "Napoleon", "Peter", "Alexander", "Nicholas",
    "Frederick", "Philip", "Ferdinand", "Pius", "Leo", "Gregory", "Innocent", "Clement",
    "Benedict", "Paul", "Robert", "David", "Malcolm", "Alfonso", "Ramses", "Sargon", "Otto",
    "Francis", "Catherine", "Ivan", "Gustav", "Gustavus", "Christian", "Frederic", "Harold",
    "Stephen", "Urban", "Boniface", "Sixtus", "Constantine", "Justinian", "Tiglath-Pileser",
}
#: Words after which a Roman numeral is a cardinal ("Chapter IV" -> "chapter four").
ROMAN_CARDINAL_CONTEXT = {
    "chapter", "part", "book", "volume", "vol", "act", "scene", "section", "article", "war",
    "appendix", "canto", "psalm", "class", "phase", "stage", "type", "level", "number", "no",
    "plate", "table", "figure", "series", "title", "schedule", "lecture", "letter", "item",
}
