// A client's record: what the API holds, corrected where it changed (contact details, language,
// housing), the SMS consent given or withdrawn (a withdrawal as easy as a consent, recorded with its
// text version, channel and who recorded it), documents brought for a waiting application, and the
// person's tickets and orders.

import { api } from "../api.js";
import { h, table, when } from "../dom.js";
import { clearErrors, daysLeft, field, housingFields, refused } from "../form.js";
import { t } from "../i18n.js";
import { refreshEvery, show, stopRefreshing, unchanged } from "../page.js";
import { CONSENT_VERSION, LANGUAGES } from "./onboarding.js";

const CHANNELS = ["front_desk", "phone", "letter"];
const DOCUMENTS = ["social_benefit_certificate", "income_statement", "referral_letter"];

export async function clientRecord(clientId, notice) {
  const path = `/clients/${encodeURIComponent(clientId)}`;
  const [client, orders, tickets] = await Promise.all([api(path), api(`/orders?client_id=${encodeURIComponent(clientId)}&limit=50`), api(`/tickets?client_id=${encodeURIComponent(clientId)}`)]);
  if (unchanged(client, orders, tickets, notice)) return;
  const again = (words) => clientRecord(clientId, words);
  // an application being checked moves on by itself: the record follows it
  if (client.status === "pending") refreshEvery(() => clientRecord(clientId, notice), 2000);
  else stopRefreshing();
  const sms = client.consents.find((consent) => consent.purpose === "sms");
  const address = client.address;
  const where = [address.care_of && t("client.care_of", { name: address.care_of }), address.line1, address.line2, [address.postal_code, address.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  show(
    `${client.first_name} ${client.last_name}`,
    notice ? h("p", { class: "message", role: "status" }, notice) : null,
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("client.status")), h("dd", {}, t(`client.status.${client.status}`), client.waiting_for ? ` — ${daysLeft(client.wait_expires_at)}` : ""),
      h("dt", {}, t("onboard.birth_date")), h("dd", {}, birthDate(client)),
      h("dt", {}, t("onboard.phone")), h("dd", {}, client.phone || t("client.none")),
      h("dt", {}, t("onboard.email")), h("dd", {}, client.email || t("client.none")),
      h("dt", {}, t("onboard.language")), h("dd", {}, t(`language.${client.language}`)),
      h("dt", {}, t("onboard.housing")), h("dd", {}, client.housing_situation ? t(`onboard.housing.${client.housing_situation}`) : "—", where ? ` — ${where}` : ""),
      client.duplicate_of ? [h("dt", {}, t("client.looks_like")), h("dd", {}, h("a", { href: `#/clients/${client.duplicate_of}` }, t("client.other_record")), ` (${t(`work.match.${client.duplicate_match}`)})`)] : null,
      client.flagged_match_of ? [h("dt", {}, t("client.flagged")), h("dd", {}, h("a", { href: `#/clients/${client.flagged_match_of}` }, t("client.other_record")), ` (${t(`work.match.${client.flagged_match}`)}) — `, h("a", { href: "#/work" }, t("client.to_review")))] : null,
    ),
    client.status === "awaiting_documents" ? documentsForm(client, again) : null,
    client.status === "awaiting_review" ? h("p", { class: "note" }, t("client.awaiting_review"), " ", h("a", { href: "#/work" }, t("client.to_review"))) : null,
    h("h2", {}, t("client.consents")),
    consents(client, sms, again),
    h("h2", {}, t("client.correct")),
    correction(client, again),
    h("h2", {}, t("client.orders")),
    client.status === "active" ? h("p", {}, h("a", { class: "button primary", href: `#/orders/new/${client.client_id}` }, t("client.new_order"))) : null,
    table(
      [t("order.created"), t("order.status"), t("order.frame"), ""],
      orders.items.map((order) => h("tr", {}, h("td", {}, when(order.created_at)), h("td", {}, t(`order.status.${order.status}`)), h("td", {}, order.frame_sku), h("td", {}, h("a", { href: `#/orders/${order.order_id}` }, t("client.open"))))),
      t("client.no_orders"),
    ),
    h("h2", {}, t("client.tickets")),
    table(
      [t("client.ticket_day"), t("client.ticket_number"), t("order.status")],
      tickets.items.map((ticket) => h("tr", {}, h("td", {}, ticket.service_day), h("td", {}, ticket.number), h("td", {}, t(`counter.status.${ticket.status}`)))),
      t("client.no_tickets"),
    ),
  );
}

export function birthDate(client) {
  // as precisely as it is known: a year alone is shown as a year
  const quality = client.birth_date_quality ? t(`onboard.quality.${client.birth_date_quality}`) : "";
  if (!client.birth_date) return quality || "—";
  return `${client.birth_date_quality === "year_only" ? client.birth_date.slice(0, 4) : client.birth_date} (${quality})`;
}

function consents(client, sms, again) {
  const granted = sms?.granted === true;
  const channel = h("select", { id: "consent-channel", "data-field": "body.channel" }, CHANNELS.map((value) => h("option", { value }, t(`client.channel.${value}`))));
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const record = async (event) => {
    event.preventDefault();
    event.submitter.disabled = true;
    try {
      await api(`/clients/${client.client_id}/consents`, { method: "POST", body: { purpose: "sms", given: !granted, channel: channel.value } });
      await again(granted ? t("client.sms_withdrawn") : t("client.sms_given"));
    } catch (error) {
      event.submitter.disabled = false;
      refused(null, message, error);
    }
  };
  return h(
    "div",
    {},
    table(
      [t("client.purpose"), t("client.given"), t("client.text_version"), t("client.channel"), t("client.recorded")],
      client.consents.map((consent) =>
        h("tr", {}, h("td", {}, t(`client.purpose.${consent.purpose}`)), h("td", {}, consent.granted ? t("client.yes") : consent.withdrawn_at ? t("client.withdrawn_on", { when: when(consent.withdrawn_at) }) : t("client.no")), h("td", {}, consent.text_version), h("td", {}, t(`client.channel.${consent.channel}`)), h("td", {}, when(consent.recorded_at))),
      ),
      t("client.no_consents"),
    ),
    h(
      "form",
      { class: "form", onsubmit: record },
      granted ? null : h("blockquote", { id: "consent-sms-text" }, t(`consent.${CONSENT_VERSION}.sms`)),
      field(t("client.channel"), channel),
      h("button", { type: "submit", class: granted ? "danger" : "primary", "aria-describedby": granted ? null : "consent-sms-text" }, granted ? t("client.withdraw_sms") : t("client.give_sms")),
      message,
    ),
  );
}

function correction(client, again) {
  const phone = h("input", { id: "correct-phone", type: "tel", maxlength: 32, "data-field": "body.phone", value: client.phone || "", autocomplete: "off" });
  const email = h("input", { id: "correct-email", type: "email", maxlength: 254, "data-field": "body.email", value: client.email || "", autocomplete: "off" });
  const language = h("select", { id: "correct-language", "data-field": "body.language" }, LANGUAGES.map((value) => h("option", { value, selected: value === client.language }, t(`language.${value}`))));
  const home = housingFields("correct", client);
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const submit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    // only what changed: an empty phone or e-mail removes it
    const body = {};
    const typed = (input) => input.value.trim() || null;
    if (typed(phone) !== client.phone) body.phone = typed(phone);
    if (typed(email) !== client.email) body.email = typed(email);
    if (language.value !== client.language) body.language = language.value;
    const address = home.address();
    if (home.housing() !== client.housing_situation || JSON.stringify(address) !== JSON.stringify(shown(client))) {
      body.housing_situation = home.housing();
      if (address) body.address = address;
    }
    if (!Object.keys(body).length) {
      message.className = "message";
      message.textContent = t("client.nothing_changed");
      return;
    }
    event.submitter.disabled = true;
    try {
      await api(`/clients/${client.client_id}`, { method: "PATCH", body });
      await again(t("client.corrected"));
    } catch (error) {
      event.submitter.disabled = false;
      refused(form, message, error);
    }
  };
  const form = h(
    "form",
    { class: "form", onsubmit: submit, novalidate: true },
    field(t("onboard.phone"), phone, t("client.phone_help")),
    field(t("onboard.email"), email, t("client.email_help")),
    field(t("onboard.language"), language),
    home.elements,
    h("button", { type: "submit", class: "primary" }, t("client.save")),
    message,
  );
  return form;
}

function shown(client) {
  // the address as the form gives it back, to tell whether it changed
  if (!["fixed_address", "care_of"].includes(client.housing_situation)) return null;
  const { care_of: careOf, line1, line2, postal_code: postalCode, city } = client.address;
  const given = Object.fromEntries(Object.entries({ line1, line2, postal_code: postalCode, city }).map(([name, value]) => [name, value || ""]).filter(([name, value]) => value || name !== "line2"));
  return client.housing_situation === "care_of" ? { care_of: careOf || "", ...given } : given;
}

function documentsForm(client, again) {
  const type = h("select", { id: "documents-type", "data-field": "body.type" }, DOCUMENTS.map((value) => h("option", { value }, t(`onboard.evidence.${value}`))));
  const reference = h("input", { id: "documents-reference", maxlength: 100, "data-field": "body.reference", autocomplete: "off" });
  const expires = h("input", { id: "documents-expires", type: "date", "data-field": "body.expires_on" });
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const submit = async (event) => {
    event.preventDefault();
    clearErrors(form);
    event.submitter.disabled = true;
    const body = { type: type.value, reference: reference.value.trim() };
    if (expires.value) body.expires_on = expires.value;
    try {
      await api(`/clients/${client.client_id}/documents`, { method: "POST", body });
      await again(t("client.documents_recorded"));
    } catch (error) {
      event.submitter.disabled = false;
      refused(form, message, error);
    }
  };
  const form = h(
    "form",
    { class: "form card", onsubmit: submit, novalidate: true },
    h("h2", {}, t("client.documents")),
    h("p", {}, t("client.documents_help", { left: daysLeft(client.wait_expires_at) })),
    field(t("onboard.evidence_type"), type),
    field(t("onboard.reference"), reference),
    field(t("onboard.expires_on"), expires),
    h("button", { type: "submit", class: "primary" }, t("client.record_documents")),
    message,
  );
  return form;
}
