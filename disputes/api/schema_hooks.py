"""Postprocessing of the OpenAPI document (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"], after drf-spectacular's
enum hook) so that a client generated from it (openapi-python-client) works as generated: query filters share the
response fields' enum components, sort options have names, and a body offered in two types can be generated."""

from typing import Any

from drf_spectacular.drainage import warn

Document = dict[str, Any]

# django-filter's OrderingFilter parameter (disputes.api.merchant.filters.NullsLastOrderingFilter).
ORDERING = "ordering"


def client_friendly(result: Document, generator: Any, **kwargs: Any) -> Document:
    schemas = result.get("components", {}).get("schemas", {})
    enums: dict[tuple[str, ...], list[str]] = {}
    for name, schema in schemas.items():
        if "enum" in schema:
            enums.setdefault(tuple(sorted(schema["enum"])), []).append(name)
    if "BlankEnum" in schemas:
        # drf-spectacular's [""] of a field that may be blank; without a name the generator calls it VALUE_0.
        schemas["BlankEnum"]["x-enum-varnames"] = ["BLANK"]
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _name_query_enum(parameter, enums, f"{method.upper()} {path}")
            _loosen_two_type_body(operation)
    return result


def _name_query_enum(parameter: dict[str, Any], enums: dict[tuple[str, ...], list[str]], where: str) -> None:
    schema = parameter["schema"]
    inner = schema.get("items", schema)
    if "enum" not in inner:
        return
    if parameter["name"] == ORDERING:
        _name_sort_keys(parameter, inner)
        return
    components = enums.get(tuple(sorted(inner["enum"])), [])
    if len(components) != 1:
        warn(f"{where}: the choices of the query parameter {parameter['name']} are those of {components}, not one")
        return
    # The response field's enum: one class in a generated client, not one per filter (with a title of its own).
    shared = {"$ref": f"#/components/schemas/{components[0]}"}
    if "items" in schema:
        schema["items"] = shared
    else:
        parameter["schema"] = shared
    parameter["description"] = _without_choice_list(parameter.get("description", ""))
    if not parameter["description"]:
        del parameter["description"]


def _name_sort_keys(parameter: dict[str, Any], inner: dict[str, Any]) -> None:
    """`-due_at` starts with no letter, so a generator cannot name it (openapi-python-client made it VALUE_0):
    name every key, `due_at` DUE_AT and `-due_at` DUE_AT_DESC. A generated client repeats the parameter for
    several keys (`?ordering=due_at&ordering=-created_at`), which the API reads like its comma list."""
    keys = sorted(inner["enum"], key=lambda key: (key.lstrip("-"), key.startswith("-")))
    inner["enum"] = keys
    inner["x-enum-varnames"] = [key.lstrip("-").upper() + ("_DESC" if key.startswith("-") else "") for key in keys]
    parameter["explode"] = True
    parameter["description"] = (
        _without_choice_list(parameter.get("description", ""))
        + " Several keys sort by the first, then the next: repeat the parameter, or separate them with commas."
    ).strip()


def _without_choice_list(description: str) -> str:
    """drf-spectacular appends "* `value` - label" lines; the enum component already lists them."""
    return description.split("\n\n*")[0] if not description.startswith("*") else ""


def _loosen_two_type_body(operation: dict[str, Any]) -> None:
    """An operation that takes JSON or multipart/form-data (with files) lists both. openapi-python-client (0.29)
    writes `body: A | B | Unset` for such a body, and imports Unset only when the body is optional
    (openapi-generators/openapi-python-client#1451): with `required: true` the module does not import. The API
    reads a missing body as an empty one and refuses it like any body without the required fields (400 naming
    them), so an optional body is also what the API does."""
    body = operation.get("requestBody")
    if body and len(body.get("content", {})) > 1:
        body["required"] = False
