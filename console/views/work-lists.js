// The front desk's work lists at a site: applications waiting for a duplicate review (the application
// and the record it looks like side by side, why they matched, and the decision), applications waiting
// for documents (days left before they expire), and the site's orders by stage.

import { api } from "../api.js";
import { h, table, when } from "../dom.js";
import { daysLeft, deskSite, refusal, siteSelect } from "../form.js";
import { t } from "../i18n.js";
import { refreshEvery, show, unchanged } from "../page.js";
import { birthDate } from "./client.js";

const STAGES = ["awaiting_frame", "at_lab", "quality_check", "ready"];
const soonest = (a, b) => String(a.wait_expires_at).localeCompare(String(b.wait_expires_at));

export async function workLists(notice) {
  const { items: sites } = await api("/sites");
  if (!sites.length) return show(t("work.title"), h("p", {}, t("counter.no_site")));
  const site = deskSite(sites);
  const at = `site_id=${encodeURIComponent(site.site_id)}`;
  const [reviews, flagged, documents, ...stages] = await Promise.all([
    api(`/clients?status=awaiting_review&${at}&limit=100`),
    api(`/clients?flagged=true&limit=100`), // a correction's flag is the record's, wherever it was taken
    api(`/clients?status=awaiting_documents&${at}&limit=100`),
    ...STAGES.map((status) => api(`/orders?${at}&status=${status}&limit=100`)),
  ]);
  if (unchanged(site.site_id, reviews, flagged, documents, stages, notice)) return;
  const waiting = new Set(reviews.items.map((each) => each.client_id));
  const toReview = [...reviews.items.sort(soonest), ...flagged.items.filter((each) => !waiting.has(each.client_id))];
  const pairs = await Promise.all(
    toReview.map(async (each) => {
      const application = await api(`/clients/${each.client_id}`);
      const other = waiting.has(each.client_id) ? application.duplicate_of : application.flagged_match_of;
      return [application, await api(`/clients/${other}`)];
    }),
  );
  const today = new Date().toISOString().slice(0, 10);
  show(
    t("work.title"),
    h("p", {}, h("label", { for: "work-site" }, t("counter.site"), " ", siteSelect("work-site", sites, site, () => workLists()))),
    notice ? h("p", { class: "message", role: "status" }, notice) : null,
    h("h2", { id: "reviews" }, t("work.reviews", { count: pairs.length })),
    pairs.length ? pairs.map(([application, match]) => review(application, match)) : h("p", {}, t("work.no_reviews")),
    h("h2", { id: "documents" }, t("work.documents", { count: documents.items.length })),
    table(
      [t("work.person"), t("work.days_left_heading"), ""],
      documents.items.sort(soonest).map((client) => h("tr", {}, h("td", {}, `${client.first_name} ${client.last_name}`), h("td", {}, daysLeft(client.wait_expires_at)), h("td", {}, h("a", { href: `#/clients/${client.client_id}` }, t("work.record_documents"))))),
      t("work.no_documents"),
    ),
    h("h2", { id: "orders" }, t("work.orders")),
    STAGES.map((stage, index) => {
      const orders = stages[index].items;
      // at the lab: the late ones first (past the date the lab gave)
      const late = (order) => stage === "at_lab" && order.lab_expected_on && order.lab_expected_on < today;
      orders.sort((a, b) => Number(late(b)) - Number(late(a)) || a.created_at.localeCompare(b.created_at));
      return h(
        "section",
        { class: "stage" },
        h("h3", {}, t(`work.stage.${stage}`, { count: orders.length })),
        table(
          [t("order.created"), t("order.frame"), t("order.lab"), ""],
          orders.map((order) => h("tr", { class: late(order) ? "late" : null }, h("td", {}, when(order.created_at)), h("td", {}, order.frame_sku), h("td", {}, late(order) ? t("work.late", { date: order.lab_expected_on }) : order.lab_expected_on || "—"), h("td", {}, h("a", { href: `#/orders/${order.order_id}` }, t("client.open"))))),
          t("work.no_orders"),
        ),
      );
    }),
  );
  refreshEvery(() => workLists(notice), 30000);
}

function review(application, match) {
  const flag = application.status !== "awaiting_review"; // a correction's flag: records in use stay apart
  const rule = flag ? application.flagged_match : application.duplicate_match;
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const decide = async (event, decision) => {
    event.target.disabled = true;
    try {
      await api(`/clients/${application.client_id}/duplicate-review`, { method: "POST", body: { decision } });
      await workLists(t(`work.decided.${decision}`, { name: `${application.first_name} ${application.last_name}` }));
    } catch (error) {
      event.target.disabled = false;
      message.className = "message error";
      message.textContent = refusal(error);
    }
  };
  const row = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value(application)), h("td", {}, value(match)));
  const home = (client) => [client.housing_situation ? t(`onboard.housing.${client.housing_situation}`) : "—", client.address.city].filter(Boolean).join(", ");
  return h(
    "article",
    { class: "card review", "aria-label": t("work.review_of", { name: `${application.first_name} ${application.last_name}` }) },
    h("p", { class: "why" }, flag ? t("work.flagged_because", { rule: t(`work.match.${rule}`) }) : t("work.matched_because", { rule: t(`work.match.${rule}`) }), flag ? "" : ` — ${daysLeft(application.wait_expires_at)}`),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, h("td", {}), h("th", { scope: "col" }, flag ? t("work.this_record") : t("work.application")), h("th", { scope: "col" }, t("work.known_client")))),
        h(
          "tbody",
          {},
          row(t("work.name"), (client) => `${client.first_name} ${client.last_name}`),
          row(t("onboard.birth_date"), birthDate),
          row(t("onboard.phone"), (client) => client.phone || t("client.none")),
          row(t("onboard.email"), (client) => client.email || t("client.none")),
          row(t("onboard.housing"), home),
          row(t("onboard.language"), (client) => t(`language.${client.language}`)),
          row(t("work.since"), (client) => when(client.created_at)),
        ),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      flag ? null : h("button", { type: "button", class: "primary", onclick: (event) => decide(event, "same-person") }, t("work.same_person")),
      h("button", { type: "button", onclick: (event) => decide(event, "different-person") }, t("work.different_person")),
      h("a", { href: `#/clients/${match.client_id}` }, t("work.open_known")),
    ),
    flag ? h("p", { class: "hint" }, t("work.flag_help")) : null,
    message,
  );
}
