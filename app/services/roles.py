"""Who may do what: the one permission table.

`PERMISSIONS` is the table; `docs/roles.md` is generated from it (`gaios roles`), the
code asks it through `permits()` and `authorize()`, and `tests/test_roles.py` runs one
test per cell. A cell is one of four grants:

- `yes`: allowed;
- `no`: refused (401 without a key, 403 with a key of a role that lacks the right);
- `own`: allowed on the caller's own submission only;
- `setting`: allowed when the `anonymous_read` setting is on (the default).

`import` and `backup` have no API route: they are commands run on the server
(`gaios import`, `gaios backup`, `gaios restore`) by the operator, who holds the
database credentials and acts with the admin role (`OPERATOR`).
"""

from enum import StrEnum

from app.errors import Forbidden, Unauthorized
from app.services.auth import Principal, Role


class Grant(StrEnum):
    yes = "yes"
    no = "no"
    own = "own"
    setting = "setting"


class Action(StrEnum):
    read = "read"
    read_history = "read_history"
    converse = "converse"
    submit = "submit"
    edit = "edit"
    see_own_unpublished = "see_own_unpublished"
    see_others_unpublished = "see_others_unpublished"
    review = "review"
    delete_usecase = "delete_usecase"
    upload_document = "upload_document"
    delete_document = "delete_document"
    see_confidential = "see_confidential"
    manage_keys = "manage_keys"
    import_records = "import_records"
    backup = "backup"
    harvest = "harvest"
    read_feedback = "read_feedback"


DESCRIPTIONS: dict[Action, str] = {
    Action.read: "Read published records, search and chat",
    Action.read_history: "Read a use case's published revisions (its public history)",
    Action.converse: "Continue or read a conversation",
    Action.submit: "Submit a use case",
    Action.edit: "Edit a submission (propose a new revision)",
    Action.see_own_unpublished: "See own unpublished submissions and draft revisions",
    Action.see_others_unpublished: "See others' unpublished submissions and draft revisions",
    Action.review: "Review: publish or reject",
    Action.delete_usecase: "Delete (withdraw) a use case",
    Action.upload_document: "Upload a document",
    Action.delete_document: "Delete a document",
    Action.see_confidential: "See confidential documents in search and chat",
    Action.manage_keys: "Create, list and revoke API keys",
    Action.import_records: "Import inventories (`gaios import`)",
    Action.backup: "Back up and restore (`gaios backup`, `gaios restore`)",
    Action.harvest: "Add harvest sources and run harvests (`gaios harvest`)",
    Action.read_feedback: "Read users' feedback on answers (`gaios feedback export`)",
}

ROLES = (Role.anonymous, Role.reader, Role.contributor, Role.reviewer, Role.admin)
Y, N, OWN, SET = Grant.yes, Grant.no, Grant.own, Grant.setting

# action -> grant for anonymous, reader, contributor, reviewer, admin
_ROWS: dict[Action, tuple[Grant, Grant, Grant, Grant, Grant]] = {
    Action.read: (SET, Y, Y, Y, Y),
    Action.read_history: (SET, Y, Y, Y, Y),
    Action.converse: (OWN, OWN, OWN, OWN, OWN),
    Action.submit: (N, N, Y, Y, Y),
    Action.edit: (N, N, OWN, Y, Y),
    Action.see_own_unpublished: (N, N, Y, Y, Y),
    Action.see_others_unpublished: (N, N, N, Y, Y),
    Action.review: (N, N, N, Y, Y),
    Action.delete_usecase: (N, N, OWN, Y, Y),
    Action.upload_document: (N, N, Y, Y, Y),
    Action.delete_document: (N, N, N, Y, Y),
    Action.see_confidential: (N, N, N, Y, Y),
    Action.manage_keys: (N, N, N, N, Y),
    Action.import_records: (N, N, N, N, Y),
    Action.backup: (N, N, N, N, Y),
    Action.harvest: (N, N, N, N, Y),
    Action.read_feedback: (N, N, N, Y, Y),
}

PERMISSIONS: dict[Action, dict[Role, Grant]] = {
    action: dict(zip(ROLES, grants, strict=True)) for action, grants in _ROWS.items()
}

NOTES: dict[Action, str] = {
    Action.read: "anonymous callers only while `anonymous_read` is on (the default)",
    Action.read_history: "only revisions that were published at some time; a revision "
                         "replaced or rejected before it was published is a draft",
    Action.converse: "a conversation belongs to the caller who started it: the same API key, "
                     "or for anonymous callers the same anonymous session; reviewers and "
                     "admins cannot read or continue other callers' conversations either",
    Action.see_own_unpublished: "a submitter sees every revision of their own use cases: "
                                "waiting, replaced before review, or rejected",
    Action.edit: "a contributor edits only the use cases they submitted",
    Action.delete_usecase: "a contributor withdraws only their own submission, and only "
                           "before it is published",
    Action.read_feedback: "every caller may rate an answer it can read; the ratings, comments "
                          "(screened for personal data before they are stored) and the rated "
                          "questions and answers are for evaluators: `GET /api/v1/feedback`, "
                          "the `/feedback` page",
}

OPERATOR = Principal(key_id="operator", name="command line operator", role=Role.admin)


def permits(principal: Principal, action: Action, *, own: bool = False,
            anonymous_read: bool = True) -> bool:
    """Whether the table lets this caller do this; `own` says the target is theirs."""
    grant = PERMISSIONS[action][principal.role]
    if grant == Grant.setting:
        return anonymous_read
    if grant == Grant.own:
        return own
    return grant == Grant.yes


def authorize(principal: Principal, action: Action, *, own: bool = False,
              anonymous_read: bool = True) -> None:
    """Raise 401 (no key) or 403 (key without the right) unless the table allows it."""
    if permits(principal, action, own=own, anonymous_read=anonymous_read):
        return
    what = DESCRIPTIONS[action].split(" (")[0].lower()
    if principal.role == Role.anonymous:
        raise Unauthorized(f"{what}: needs an API key (X-API-Key header or Bearer token)")
    if PERMISSIONS[action][principal.role] == Grant.own:
        raise Forbidden(f"{what}: the {principal.role} role may do this only on its own "
                        "submissions")
    raise Forbidden(f"{what}: not allowed for the {principal.role} role")


CELL_TEXT = {Grant.yes: "yes", Grant.no: "no", Grant.own: "own only",
             Grant.setting: "if `anonymous_read`"}


def markdown_table() -> str:
    """The table as Markdown, as it appears in docs/roles.md."""
    lines = ["| Action | " + " | ".join(r.value for r in ROLES) + " |",
             "|---|" + "---|" * len(ROLES)]
    for action, grants in PERMISSIONS.items():
        cells = " | ".join(CELL_TEXT[grants[role]] for role in ROLES)
        lines.append(f"| {DESCRIPTIONS[action]} | {cells} |")
    return "\n".join(lines) + "\n"


def markdown_notes() -> str:
    """The footnotes under the table."""
    return "".join(f"- *{DESCRIPTIONS[a]}*: {NOTES[a]}.\n" for a in PERMISSIONS if a in NOTES)
