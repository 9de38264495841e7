"""Marshmallow schemas for the API's request envelopes (query strings and payload shapes).

Record values are not validated here: the record service parses them through the field
types, so the rules live in one place. These schemas also document the envelopes in the
OpenAPI document (apispec's marshmallow plugin).
"""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from cardfile.metamodel.errors import BadQuery, InvalidDefinition, ValidationFailed
from cardfile.metamodel.ids import MAX_ID
from cardfile.metamodel.records.query import MAX_PER_PAGE, ListQuery, parse_filter


#: the last page a list may ask for: 2**53 (the largest whole number JSON clients hold
#: exactly), so that the page's offset stays within a 64-bit integer
MAX_PAGE = 2**53


class _Query(Schema):
    class Meta:
        unknown = EXCLUDE


class RecordListQuery(_Query):
    filter = fields.List(fields.String(), load_default=list, metadata={
        "description": "field:operator:value, repeatable (all must match); "
                       "operators per field type are listed by GET /field-types."})
    search = fields.String(load_default=None, metadata={"description": "Quick search over text fields."})
    sort = fields.String(load_default=None, metadata={
        "description": "Comma-separated field names; a leading '-' sorts descending, e.g. -amount,name."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    trashed = fields.Boolean(load_default=False, metadata={"description": "List the trash instead."})
    where = fields.String(load_default=None, metadata={
        "description": "A condition in the formula language, compiled to SQL, e.g. "
                       "amount > 100 and status == \"paid\" (see docs/computed-fields.md)."})


class TrashedQuery(_Query):
    trashed = fields.Boolean(load_default=False)


class PurgeQuery(_Query):
    purge = fields.Boolean(load_default=False, metadata={
        "description": "Drop an item that is already in the trash, for good."})


class EmptyTrashQuery(_Query):
    older_than_days = fields.Integer(load_default=None, validate=validate.Range(min=0, max=36500), metadata={
        "description": "Only records that went to the trash more than this many days ago "
                       "(default: every record in the trash)."})


class VersionQuery(_Query):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "Refuse with 409 unless the record still has this version."})


class FieldChangeQuery(_Query):
    force = fields.Boolean(load_default=False, metadata={
        "description": "Apply a retype even though some values would be emptied."})
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "Report what the change would do; write nothing."})


# --- table and field definitions: the shape here, the meaning in the schema service ----
API_NAME = r"^[a-z][a-z0-9_]{0,62}$"


def _strict_bool(description: str):
    return fields.Boolean(truthy={True}, falsy={False}, metadata={"description": description})


class _Definition(Schema):
    class Meta:
        unknown = RAISE


class FieldSpec(_Definition):
    label = fields.String(required=True, metadata={"description": "Any text; unique within the table."})
    api_name = fields.String(metadata={"pattern": API_NAME, "description": "Made from the label when left out."})
    type = fields.String(required=True, metadata={"description": "A field type key (GET /field-types)."})
    options = fields.Dict(keys=fields.String(), metadata={
        "description": "Per type: see options_schema in GET /field-types."})
    position = fields.Integer()


class FieldChanges(_Definition):
    label = fields.String()
    api_name = fields.String(metadata={"pattern": API_NAME})
    type = fields.String(metadata={"description": "A new type: values are converted, losses refused unless forced."})
    options = fields.Dict(keys=fields.String())
    position = fields.Integer()
    force = _strict_bool("Empty the values that cannot be converted.")
    dry_run = _strict_bool("Report what would happen; write nothing.")


class TableChanges(_Definition):
    label = fields.String()
    api_name = fields.String(metadata={"pattern": API_NAME})
    section = fields.String(allow_none=True)
    position = fields.Integer()
    display_field = fields.String(metadata={"description": "API name of the field that names a record."})
    options = fields.Dict(keys=fields.String())


class TableSpec(TableChanges):
    label = fields.String(required=True)
    field_specs = fields.List(fields.Nested(FieldSpec), data_key="fields",
                              metadata={"description": "The table's first fields."})


def load_definition(schema: Schema, body: dict, what: str) -> dict:
    """The shape of a table or field definition; a bad one is 422 INVALID_DEFINITION naming the key."""
    try:
        schema.load(body)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        path, problem = _first_problem(messages)
        raise InvalidDefinition(f"The {what} definition is not valid at {path}: {problem}",
                                {"fields": messages}) from None
    return body


def _first_problem(messages, path: str = "") -> tuple[str, str]:
    key, value = next(iter(messages.items()))
    where = f"{path}.{key}" if path else str(key)
    if isinstance(value, dict):
        return _first_problem(value, where)
    return where, value[0] if isinstance(value, list) else str(value)


class TokenRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


# --- administration bodies: what each may hold (bodies.py refuses any other key) -------
class _Body(Schema):
    class Meta:
        unknown = RAISE


class NewUser(_Body):
    username = fields.String(required=True)
    password = fields.String(required=True)
    name = fields.String()
    email = fields.String(allow_none=True)
    is_admin = fields.Boolean()
    groups = fields.List(fields.String(), metadata={"description": "Groups to join, by name."})


class UserChanges(_Body):
    name = fields.String()
    email = fields.String(allow_none=True)
    is_admin = fields.Boolean()
    attributes = fields.Dict(keys=fields.String(), metadata={
        "description": "Attributes rules read as me.<name>: text, numbers or yes/no."})


class NewPassword(_Body):
    password = fields.String(required=True)


class NewGroup(_Body):
    name = fields.String(required=True)
    description = fields.String()
    is_admin = fields.Boolean()
    sections = fields.List(fields.String(), allow_none=True, metadata={
        "description": "Menu sections the group sees (null: all)."})


class GroupChanges(_Body):
    name = fields.String()
    description = fields.String()
    is_admin = fields.Boolean()
    sections = fields.List(fields.String(), allow_none=True)


class GroupMembers(_Body):
    members = fields.List(fields.String(), required=True, metadata={"description": "Every member's username."})


class Permission(_Body):
    actions = fields.List(fields.String(), metadata={
        "description": "read, create, update, delete, export, print, design."})
    rows = fields.Raw(metadata={"description": 'Row scope: "all", "own", "group" or {"condition": "…"}.'})
    fields_ = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields", metadata={
        "description": 'Field name -> "hidden" or "read_only".'})


class ReassignOwner(_Body):
    from_ = fields.String(required=True, data_key="from", metadata={"description": "Username of the owner now."})
    to = fields.String(required=True, metadata={"description": "Username of the new owner."})
    tables = fields.List(fields.String(), metadata={"description": "Only these tables (default: every table)."})
    filters = fields.List(fields.String(), metadata={"description": "field:operator:value, all must match."})
    field = fields.String(metadata={"description": "A user field of the one table to move instead of the owner "
                                                   "(e.g. manager); owner by default."})


def load_query(schema: Schema, args) -> dict:
    """Query parameters through ``schema``; a bad parameter is 400 BAD_QUERY naming it."""
    data = {}
    for key in args:
        field = schema.fields.get(key)
        if field is not None:
            data[key] = args.getlist(key) if isinstance(field, fields.List) else args.get(key)
    try:
        return schema.load(data)
    except ValidationError as exc:
        name, problems = next(iter(exc.normalized_messages().items()))
        message = problems[0] if isinstance(problems, list) else str(problems)
        raise BadQuery(f"Query parameter {name!r}: {message}", {"parameters": exc.normalized_messages()}) from None


def load_body(schema: Schema, body) -> dict:
    """A request payload through ``schema``; problems are 422 with the fields named."""
    try:
        return schema.load(body)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        raise ValidationFailed({k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()}) from None


def list_query(args) -> ListQuery:
    params = load_query(RecordListQuery(), args)
    return ListQuery(
        filters=[parse_filter(text) for text in params["filter"]],
        search=params["search"] or None,
        sort=[part.strip() for part in (params["sort"] or "").split(",") if part.strip()],
        page=params["page"], per_page=params["per_page"], trashed=params["trashed"])
