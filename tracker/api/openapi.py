"""The OpenAPI 3.1 description of /api/v1/, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from tracker.domain.query import MAX_UPCOMING_DAYS
from tracker.models import EntityRole, MilestoneKind, Status

_STATUS = {"type": "string", "enum": [s.value for s in Status]}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


FILTERS = [
    _query("working_group", "Short or full name of a working group, e.g. WS1."),
    _query("entity", "Acronym, name or alias of an entity, e.g. ILO."),
    _query("leading", "With entity: 1 for only what the entity leads.", {"enum": ["1", "0"]}),
    _query(
        "status",
        "Statuses, comma-separated or repeated.",
        {"type": "array", "items": _STATUS},
    ),
    _query("q", "Words that must all appear in the code, title or description."),
    _query(
        "due",
        "A due window: overdue, or N for open items due in the next N days "
        f"(1 to {MAX_UPCOMING_DAYS}).",
        {"type": "string", "pattern": "^(overdue|[0-9]+)$"},
    ),
    _query("kind", "activity or milestone (/items only).", {"enum": ["activity", "milestone"]}),
    _query("open", "1 for only items neither completed nor cancelled.", {"enum": ["1", "0"]}),
    _query("due_from", "Due on or after this date.", {"type": "string", "format": "date"}),
    _query("due_to", "Due on or before this date.", {"type": "string", "format": "date"}),
    _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1}),
    _query(
        "per_page",
        "Items per page (default 100).",
        {"type": "integer", "minimum": 1, "maximum": 500},
    ),
]

_ERROR = {
    "description": "An error, with a message fit to show a person.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_ERRORS = {
    "400": _ERROR | {"description": "Bad input; `fields` names each problem. Nothing saved."},
    "401": _ERROR | {"description": "No valid bearer token."},
    "403": _ERROR | {"description": "The token's owner may not do this."},
    "404": _ERROR | {"description": "No such item."},
}


def _list(summary: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": FILTERS,
            "responses": {
                "200": {
                    "description": "Soonest due first (undated last).",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ItemList"}}
                    },
                },
                **_ERRORS,
            },
        }
    }


def _one(kind: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"One {kind}, with its history.",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {
                "200": {
                    "description": f"The {kind}.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ItemDetail"}}
                    },
                },
                **_ERRORS,
            },
        }
    }


def _progress(kind: str, dates: list[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "status": _STATUS,
        "note": {"type": "string", "maxLength": 5000},
        "version": {
            "type": "integer",
            "description": "The version you read; changed since: 409, nothing saved.",
        },
    }
    for name in dates:
        properties[name] = {"type": ["string", "null"], "format": "date"}
    return {
        "post": {
            "summary": f"Record a progress update on a {kind} (leads and coordinators).",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["version"],
                            "additionalProperties": False,
                            "properties": properties,
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Saved (or nothing to change: `changed` is false).",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ItemDetail"}}
                    },
                },
                **_ERRORS,
                "409": _ERROR | {"description": "Changed by someone else since you read it."},
            },
        }
    }


def spec(server_url: str) -> dict[str, Any]:
    item_properties: dict[str, Any] = {
        "kind": {"enum": ["activity", "milestone"]},
        "id": {"type": "integer"},
        "uid": {"type": "string"},
        "code": {"type": "string"},
        "title": {"type": "string"},
        "working_group": {"type": "string"},
        "status": _STATUS,
        "due": {"type": ["string", "null"], "format": "date"},
        "due_text": {"type": "string", "description": "As a person writes it: June 2020."},
        "start": {"type": ["string", "null"], "format": "date"},
        "end": {"type": ["string", "null"], "format": "date"},
        "when": {"type": "string"},
        "timeline_text": {"type": "string", "description": "As the workplan wrote it."},
        "ongoing": {"type": "boolean"},
        "recurrence": {"type": ["string", "null"], "description": "An RRULE value."},
        "occurrence": {"type": "boolean"},
        "leads": {"type": "array", "items": {"type": "string"}},
        "leads_inherited_from": {
            "type": ["string", "null"],
            "description": "Where the leads come from when the item names none itself, e.g. "
            "'activity 37' or 'working group EGMS'; null when they are its own.",
        },
        "entities": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "entity": {"type": "string"},
                    "role": {"enum": [r.value for r in EntityRole]},
                },
            },
        },
        "parent_code": {"type": ["string", "null"]},
        "milestone_kind": {"enum": [k.value for k in MilestoneKind] + [None]},
        "location": {"type": ["string", "null"]},
        "version": {"type": "integer"},
        "updated_at": {"type": "string", "format": "date-time"},
        "overdue": {"type": "boolean"},
        "url": {"type": "string", "format": "uri"},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Workplan Tracker API",
            "version": "1",
            "description": "Activities and milestones of the working groups' workplans, with the "
            "filters of the tracker's pages, and progress updates. Authenticate with a personal "
            "token (Your account › API tokens) as `Authorization: Bearer TOKEN`; it acts with "
            'your rights. Errors are JSON: {"error": {"status", "message", "fields"?}}.',
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/items": _list("Activities and milestones."),
            "/activities": _list("Activities."),
            "/milestones": _list("Milestones."),
            "/activities/{id}": _one("activity"),
            "/milestones/{id}": _one("milestone"),
            "/activities/{id}/progress": _progress("activity", ["actual_start", "actual_end"]),
            "/milestones/{id}/progress": _progress("milestone", ["completed_on"]),
            "/working-groups/{name}/results": {
                "get": {
                    "summary": "A working group's results framework: objectives, outcomes, "
                    "outputs and the activities serving them, indicators with baseline, target "
                    "and actuals, risks, themes.",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": {"description": "The results chain."}, **_ERRORS},
                }
            },
            "/rounds": {
                "get": {
                    "summary": "Reporting rounds, newest due date first, with how many items "
                    "are reported.",
                    "responses": {"200": {"description": "The rounds."}, **_ERRORS},
                }
            },
            "/rounds/{id}": {
                "get": {
                    "summary": "One reporting round: completion per lead entity and item "
                    "(reported, reported late, not yet, late) and the reports made.",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {"200": {"description": "The round."}, **_ERRORS},
                }
            },
            "/me": {
                "get": {
                    "summary": "Who the token belongs to.",
                    "responses": {"200": {"description": "The token's owner."}, **_ERRORS},
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This description.",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1 document."}},
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "message"],
                            "properties": {
                                "status": {"type": "integer"},
                                "message": {"type": "string"},
                                "fields": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                            },
                        }
                    },
                },
                "Item": {"type": "object", "properties": item_properties},
                "ItemList": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                    },
                },
                "ItemDetail": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Item"},
                        {
                            "type": "object",
                            "properties": {
                                "description": {"type": "string"},
                                "progress_note": {"type": "string"},
                                "may_update": {"type": "boolean"},
                                "history": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    ]
                },
            },
        },
    }
