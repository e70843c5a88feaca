"""Feedback on answers: anyone who may read rates an answer; evaluators (reviewers and
admins) read the ratings with what was rated, as JSON pages or one CSV file."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.api.deps import ContainerDep, PrincipalDep, ReaderDep
from app.api.routes.exports import MEDIA
from app.errors import InvalidRecord
from app.schemas.chat import FeedbackRequest
from app.schemas.feedback import FeedbackList
from app.services import feedback as service
from app.services.auth import Principal
from app.services.roles import Action, authorize

router = APIRouter(prefix="/feedback", tags=["chat"])
CSV_DISPOSITION = 'attachment; filename="gaios-feedback.csv"'
MOMENT = ("an ISO date (2026-11-01) or date and time (2026-11-01T08:00:00Z); a time "
          "without an offset is UTC")


def get_evaluator(principal: PrincipalDep) -> Principal:
    """The caller, refused unless it may read feedback (reviewers and admins)."""
    authorize(principal, Action.read_feedback)
    return principal


EvaluatorDep = Annotated[Principal, Depends(get_evaluator)]


def moment(value: str | None, field: str, *, end: bool = False) -> datetime | None:
    """A filter bound in UTC. A date alone means the whole day: from its start (`since`)
    or up to its end (`until`)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            return day + timedelta(days=1) if end else day
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRecord(f"{field} is not a date", errors=[
            {"field": field, "reason": f"expected {MOMENT}", "value": value[:40]}]) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def filters_of(rating: int | None, since: str | None, until: str | None,
               conversation_id: str | None, has_comment: bool | None) -> service.FeedbackFilters:
    """The filters of the API and of `gaios feedback export`."""
    return service.FeedbackFilters(
        rating=rating, since=moment(since, "since"), until=moment(until, "until", end=True),
        conversation_id=conversation_id, has_comment=has_comment)


@router.post("", status_code=201)
def rate(body: FeedbackRequest, container: ContainerDep, _: ReaderDep) -> dict[str, str]:
    """Rate an answer (+1/-1) with an optional comment, for evaluators. The comment is
    screened for personal data, which is replaced by its type before it is stored."""
    container.feedback.record(body.answer_id, body.rating, body.comment)
    return {"status": "recorded"}


@router.get("", response_model=FeedbackList,
            responses={200: {"content": {MEDIA["csv"]: {}}}})
def list_feedback(
    request: Request,
    container: ContainerDep,
    _: EvaluatorDep,
    rating: Annotated[Literal["1", "-1"] | None, Query(description="Only 1 (helpful) or "
                                                       "only -1 (not helpful).")] = None,
    since: Annotated[str | None, Query(max_length=40, description=f"From: {MOMENT}.")] = None,
    until: Annotated[str | None, Query(max_length=40, description=f"Up to: {MOMENT}.")] = None,
    conversation_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{4,64}$")] = None,
    has_comment: Annotated[bool | None, Query(description="Only with (or without) a "
                                              "comment.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: Annotated[Literal["json", "csv"] | None,
                      Query(description="`csv`: every match in one file (no paging); "
                            "overrides the Accept header.")] = None,
) -> Any:
    """Ratings of answers, newest first, each with the question, the answer, the sources
    it cited and the comment (reviewers and admins). CSV with `format=csv` or
    `Accept: text/csv`."""
    filters = filters_of(int(rating) if rating else None, since, until, conversation_id,
                         has_comment)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return Response(service.to_csv(container.feedback.all(filters)), media_type=MEDIA["csv"],
                        headers={"Content-Disposition": CSV_DISPOSITION})
    page = container.feedback.page(filters, limit=limit, offset=offset)
    return {"data": page.items, "count": page.total, "limit": limit, "offset": offset}
