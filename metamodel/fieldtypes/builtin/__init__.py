"""The built-in field types, registered the same way a plugin registers its own."""

from .choice import BooleanType, ChoiceType, MultiChoiceType
from .computed import FormulaType
from .counter import CounterType
from .files import FileType, ImageType
from .lines import LinesType
from .link import LinkType, UserType
from .money import MoneyType
from .number import DecimalType, IntegerType, PercentType
from .temporal import DateTimeType, DateType
from .text import EmailType, LongTextType, PhoneType, TextType, UrlType

BUILTIN_TYPES = [
    TextType, LongTextType, IntegerType, DecimalType, MoneyType, PercentType, BooleanType,
    DateType, DateTimeType, ChoiceType, MultiChoiceType, LinkType, LinesType, EmailType,
    PhoneType, UrlType, CounterType, UserType, FileType, ImageType, FormulaType,
]
