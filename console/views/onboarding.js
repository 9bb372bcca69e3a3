// The onboarding form: everything an application may say, for people with no fixed address, no phone
// of their own, an approximate birth date. The consents show the words the person agrees to. Errors
// are placed on their fields; one Idempotency-Key per form, so sending again after a network error
// creates nobody twice. Started from a walk-in's ticket, the new client keeps that ticket.

import { api } from "../api.js";
import { h } from "../dom.js";
import { clearErrors, deskSite, field, housingFields, refused, siteSelect } from "../form.js";
import { t } from "../i18n.js";
import { show } from "../page.js";

export const LANGUAGES = ["fr", "en", "ar", "es", "pt", "tr"]; // lambdas/shared/domain.py Language
const QUALITIES = ["exact", "approximate", "year_only", "unknown", "prefers_not_to_answer"];
const EVIDENCE = ["none_yet", "social_benefit_certificate", "income_statement", "referral_letter"];
export const CONSENT_VERSION = "2026-01"; // lambdas/shared/domain.py CONSENT_TEXT_VERSION: a test holds them equal

const input = (name, attributes = {}) => h("input", { id: `onboard-${name.replaceAll(".", "-")}`, name, "data-field": `body.${name}`, autocomplete: "off", ...attributes });
const select = (name, values, words) => h("select", { id: `onboard-${name.replaceAll(".", "-")}`, name, "data-field": `body.${name}` }, values.map((value) => h("option", { value }, words(value))));

export async function onboarding(query = new URLSearchParams()) {
  const { items: sites } = await api("/sites");
  const site = sites.length ? deskSite(sites) : null;
  const ticket = query.get("ticket"); // a walk-in's ticket of today, linked once the application is in
  const key = crypto.randomUUID();

  const first = input("first_name", { maxlength: 100, required: true, value: query.get("first_name") || "" });
  const last = input("last_name", { maxlength: 100, required: true });
  const quality = select("birth_date_quality", QUALITIES, (value) => t(`onboard.quality.${value}`));
  const birth = input("birth_date", { type: "date" });
  const year = input("birth_year", { inputmode: "numeric", pattern: "[0-9]{4}", size: 6, "data-field": "body.birth_date" });
  const phone = input("phone", { type: "tel", maxlength: 32 });
  const noPhone = h("input", { type: "checkbox", id: "onboard-no-phone" });
  const email = input("email", { type: "email", maxlength: 254 });
  const noEmail = h("input", { type: "checkbox", id: "onboard-no-email" });
  const language = select("language", LANGUAGES, (value) => t(`language.${value}`));
  const home = housingFields("onboard");
  const dataConsent = h("input", { type: "checkbox", id: "onboard-consent-data", "data-field": "body.consents.data_processing", required: true });
  const smsConsent = h("input", { type: "checkbox", id: "onboard-consent-sms", "data-field": "body.consents.sms" });
  const evidence = select("evidence.type", EVIDENCE, (value) => t(`onboard.evidence.${value}`));
  const reference = input("evidence.reference", { maxlength: 100 });
  const expires = input("evidence.expires_on", { type: "date" });
  const emergency = h("input", { type: "checkbox", id: "onboard-emergency", "data-field": "body.emergency_first_visit" });
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });

  const birthField = field(t("onboard.birth_date"), birth);
  const yearField = field(t("onboard.birth_year"), year);
  const referenceFields = h("div", {}, field(t("onboard.reference"), reference), field(t("onboard.expires_on"), expires));
  const shape = () => {
    // only the fields this person's answers call for
    birthField.hidden = !["exact", "approximate"].includes(quality.value);
    yearField.hidden = quality.value !== "year_only";
    birth.dataset.field = birthField.hidden ? "" : "body.birth_date"; // its errors go to the field shown
    year.dataset.field = yearField.hidden ? "" : "body.birth_date";
    phone.disabled = noPhone.checked;
    email.disabled = noEmail.checked;
    smsConsent.disabled = noPhone.checked;
    referenceFields.hidden = evidence.value === "none_yet";
  };
  for (const control of [quality, noPhone, noEmail, evidence]) control.addEventListener("change", shape);

  const application = () => {
    const body = {
      first_name: first.value.trim(),
      last_name: last.value.trim(),
      birth_date_quality: quality.value,
      housing_situation: home.housing(),
      language: language.value,
      consents: { data_processing: dataConsent.checked, sms: smsConsent.checked && !noPhone.checked },
      emergency_first_visit: emergency.checked,
    };
    if (site) body.site_id = site.site_id;
    if (!birthField.hidden && birth.value) body.birth_date = birth.value;
    if (!yearField.hidden && year.value.trim()) body.birth_date = `${year.value.trim()}-01-01`;
    if (!noPhone.checked && phone.value.trim()) body.phone = phone.value.trim();
    if (!noEmail.checked && email.value.trim()) body.email = email.value.trim();
    if (home.address()) body.address = home.address();
    body.evidence = evidence.value === "none_yet" ? { type: "none_yet" } : { type: evidence.value, reference: reference.value.trim() };
    if (evidence.value !== "none_yet" && expires.value) body.evidence.expires_on = expires.value;
    return body;
  };

  const submit = async (event) => {
    event.preventDefault();
    const button = event.submitter;
    button.disabled = true; // sent once: the answer, or the same key again
    clearErrors(form);
    message.className = "message";
    message.textContent = t("counter.sending");
    try {
      const accepted = await api("/clients", { method: "POST", body: application(), headers: { "Idempotency-Key": key } });
      let linked = null;
      if (ticket) linked = await api(`/tickets/${encodeURIComponent(ticket)}/client`, { method: "POST", body: { client_id: accepted.client_id } }).catch((error) => error);
      received(accepted.client_id, linked);
    } catch (error) {
      refused(form, message, error);
    } finally {
      button.disabled = false;
    }
  };

  function received(clientId, linked) {
    show(
      t("onboard.received"),
      h("p", { class: "message", role: "status" }, t("onboard.received_text", { name: `${first.value.trim()} ${last.value.trim()}` })),
      linked === null ? null : h("p", { class: linked instanceof Error ? "message error" : "message" }, linked instanceof Error ? t("onboard.ticket_not_linked", { reason: linked.message }) : t("onboard.ticket_linked", { number: linked.number })),
      h("div", { class: "actions" }, h("a", { class: "button primary", href: `#/clients/${encodeURIComponent(clientId)}` }, t("onboard.open_record")), h("a", { class: "button", href: "#/onboarding" }, t("onboard.next_person"))),
    );
  }

  const form = h(
    "form",
    { class: "form", onsubmit: submit, novalidate: true },
    site ? h("p", {}, h("label", { for: "onboard-site" }, t("counter.site"), " ", siteSelect("onboard-site", sites, site, () => onboarding(query)))) : null,
    ticket ? h("p", { class: "note" }, t("onboard.from_ticket")) : null,
    h("fieldset", {}, h("legend", {}, t("onboard.person")), field(t("onboard.first_name"), first), field(t("onboard.last_name"), last), field(t("onboard.birth_date_quality"), quality, t("onboard.birth_date_quality_help")), birthField, yearField, field(t("onboard.language"), language)),
    h(
      "fieldset",
      {},
      h("legend", {}, t("onboard.contact")),
      field(t("onboard.phone"), phone, t("onboard.phone_help")),
      h("label", { for: "onboard-no-phone", class: "choice" }, noPhone, t("onboard.no_phone")),
      field(t("onboard.email"), email),
      h("label", { for: "onboard-no-email", class: "choice" }, noEmail, t("onboard.no_email")),
    ),
    home.elements,
    h(
      "fieldset",
      {},
      h("legend", {}, t("onboard.consents")),
      h("p", { class: "hint" }, t("onboard.consents_help", { version: CONSENT_VERSION })),
      h("div", { class: "field" }, h("blockquote", { id: "onboard-consent-data-text" }, t(`consent.${CONSENT_VERSION}.data_processing`)), h("label", { for: "onboard-consent-data", class: "choice" }, dataConsent, t("onboard.consent_data"))),
      h("div", { class: "field" }, h("blockquote", { id: "onboard-consent-sms-text" }, t(`consent.${CONSENT_VERSION}.sms`)), h("label", { for: "onboard-consent-sms", class: "choice" }, smsConsent, t("onboard.consent_sms"))),
    ),
    h("fieldset", {}, h("legend", {}, t("onboard.evidence")), field(t("onboard.evidence_type"), evidence), referenceFields, h("label", { for: "onboard-emergency", class: "choice" }, emergency, t("onboard.emergency"))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary big" }, t("onboard.submit"))),
    message,
  );
  dataConsent.setAttribute("aria-describedby", "onboard-consent-data-text");
  smsConsent.setAttribute("aria-describedby", "onboard-consent-sms-text");
  shape();
  show(t("onboard.title"), form);
}
