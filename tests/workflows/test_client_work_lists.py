"""The front desk's onboarding work lists: applications of a site waiting for a review or for documents,
with why a duplicate matched and the days left before the wait ends them."""

from datetime import UTC, datetime, timedelta

from lambdas.shared.domain import WAIT_LIMIT, WaitingFor
from local.seed import SITE_ID, seed
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api
from tests.workflows.conftest import Onboarding, application

pytestmark = ON_BOTH_DATABASES


def _work_list(**query: str) -> list[dict]:
    status, page = call_api(api_event("GET", "/clients", query=query))
    assert status == 200, page
    return page["items"]


def test_a_sites_document_waits_are_listed_with_when_they_expire(onboarding: Onboarding) -> None:
    # Given the local site, an application taken there without documents, and one taken elsewhere
    seed()
    before = datetime.now(UTC)
    here = onboarding.onboard(application(evidence=None, site_id=SITE_ID))
    onboarding.onboard(application(evidence=None, first_name="Awa", phone="+33611111111", birth_date="1980-01-01"))
    # When the front desk reads the site's document waits
    [waiting] = _work_list(status="awaiting_documents", site_id=SITE_ID)
    # Then the application is there, with the moment its 30-day wait ends it
    assert (waiting["client_id"], waiting["waiting_for"], waiting["site_id"]) == (here, "documents", SITE_ID)
    expires = datetime.fromisoformat(waiting["wait_expires_at"])
    assert before + WAIT_LIMIT[WaitingFor.DOCUMENTS] <= expires <= datetime.now(UTC) + timedelta(days=30)
    # and both sites' waits are listed without the site
    assert len(_work_list(status="awaiting_documents")) == 2


def test_a_review_shows_why_the_application_matched(onboarding: Onboarding) -> None:
    # Given a client, and a second application with her phone number under another name
    first = onboarding.onboard()
    second = onboarding.onboard(application(first_name="Aminata", last_name="Sow", birth_date="1970-05-05"))
    # When the front desk reads the reviews waiting
    [review] = _work_list(status="awaiting_review")
    assert review["client_id"] == second
    assert datetime.fromisoformat(review["wait_expires_at"]) > datetime.now(UTC) + timedelta(days=6)
    # Then the application names the client it looks like and the rule that matched
    detail = onboarding.client(second)
    assert (detail["duplicate_of"], detail["duplicate_match"]) == (first, "phone")
    # and once answered, it waits no more
    assert onboarding.review(second, "different-person")[0] == 202
    assert _work_list(status="awaiting_review") == []
    assert onboarding.client(second)["wait_expires_at"] is None


def test_an_application_naming_an_unknown_site_is_refused_and_stores_nothing(onboarding: Onboarding) -> None:
    status, body = onboarding.submit(application(site_id="nowhere"))
    assert (status, [detail["field"] for detail in body["details"]]) == (422, ["body.site_id"])
    assert _work_list(q="amina") == []
