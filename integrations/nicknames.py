"""Common English given names and their short forms, for staff-to-Xero near-miss suggestions.

Only used to *suggest* a match ("Bob" in Timeclamp, "Robert" in Xero); never to link automatically.
All entries are already in the form `integrations.matching.normalise_name` produces (lower case).
A short form may belong to several full names (Kate: Katherine, Catherine, Kathryn; Chris:
Christopher, Christine, Christina), so a name maps to a set of groups, named after the full name.
"""

from types import MappingProxyType

# full name -> its common short forms
SHORT_FORMS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        full: frozenset(short.split())
        for full, short in {
            "abigail": "abby abbie",
            "alexander": "alex xander sandy",
            "alexandra": "alex alexa lexi sandy",
            "alison": "ali",
            "allison": "ali",
            "amanda": "mandy",
            "andrew": "andy drew",
            "anthony": "tony ant",
            "barbara": "barb babs",
            "benjamin": "ben benny benji",
            "bradley": "brad",
            "cameron": "cam",
            "catherine": "kate cate cathy cath katie cat",
            "charles": "charlie chas chuck",
            "christina": "chris tina",
            "christine": "chris chrissy tina",
            "christopher": "chris kit",
            "cynthia": "cindy",
            "daniel": "dan danny",
            "david": "dave davy",
            "deborah": "deb debbie",
            "donald": "don donny",
            "dorothy": "dot dottie",
            "douglas": "doug",
            "edward": "ed eddie ted ned",
            "elizabeth": "liz lizzie beth betty eliza libby bess",
            "frances": "fran",
            "francis": "frank",
            "frederick": "fred freddie",
            "gabriel": "gabe",
            "gerald": "gerry",
            "gregory": "greg",
            "harold": "harry hal",
            "henry": "harry hank",
            "isabel": "izzy bella",
            "isabella": "izzy bella",
            "jacob": "jake",
            "jacqueline": "jackie",
            "james": "jim jimmy jamie",
            "jeffrey": "jeff",
            "jennifer": "jen jenny",
            "jessica": "jess jessie",
            "john": "jack johnny",
            "jonathan": "jon jonny",
            "joseph": "joe joey",
            "joshua": "josh",
            "judith": "judy",
            "katherine": "kate kathy kath katie kat",
            "kathryn": "kate kathy kath katie",
            "kenneth": "ken kenny",
            "kimberley": "kim",
            "kimberly": "kim",
            "lawrence": "larry laurie",
            "leonard": "len lenny leo",
            "madeline": "maddy",
            "margaret": "maggie meg peggy marg",
            "matthew": "matt",
            "melanie": "mel",
            "melissa": "mel",
            "michael": "mike mick mickey mikey",
            "michelle": "shell",
            "mitchell": "mitch",
            "natalie": "nat",
            "nathan": "nate",
            "nathaniel": "nate nat",
            "nicholas": "nick nicky",
            "nicole": "nicki nikki",
            "olivia": "liv",
            "pamela": "pam",
            "patricia": "pat patty trish",
            "patrick": "pat paddy",
            "peter": "pete",
            "philip": "phil",
            "phillip": "phil",
            "raymond": "ray",
            "rebecca": "bec becky becca",
            "richard": "rick dick rich ricky richie",
            "robert": "bob bobby rob robbie bert",
            "ronald": "ron ronnie",
            "samantha": "sam sammy",
            "samuel": "sam sammy",
            "sebastian": "seb",
            "stephanie": "steph",
            "stephen": "steve stevie",
            "steven": "steve stevie",
            "susan": "sue susie",
            "suzanne": "sue suzie",
            "terence": "terry",
            "theresa": "tess terri",
            "thomas": "tom tommy",
            "timothy": "tim timmy",
            "victoria": "vicky tori",
            "vincent": "vince",
            "william": "bill billy will willy liam",
            "zachary": "zach zac",
        }.items()
    }
)


def _groups_by_name() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for full, shorts in SHORT_FORMS.items():
        for name in (full, *shorts):
            groups.setdefault(name, set()).add(full)
    return {name: frozenset(fulls) for name, fulls in groups.items()}


_GROUPS: dict[str, frozenset[str]] = _groups_by_name()


def name_groups(name: str) -> frozenset[str]:
    """The full names `name` is, or is a short form of (empty when the name is not in the table)."""
    return _GROUPS.get(name, frozenset())


def is_short_form(short: str, full: str) -> bool:
    """True when `short` is a listed short form of the full name `full`."""
    return short in SHORT_FORMS.get(full, frozenset())
