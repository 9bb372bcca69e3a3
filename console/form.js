// What the front desk's forms share: a field with its label, hint and error; the 422's details placed
// on the fields they name; the site this desk works at, remembered on the device.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { COUNTER_KEY } from "./views/counter.js";

export const DESK_SITE = "fondation.checkin.site";

export function deskSite(sites) {
  // the site chosen at this desk's check-in or counter, or the first
  const remembered = localStorage.getItem(DESK_SITE) || JSON.parse(localStorage.getItem(COUNTER_KEY) || "null")?.site;
  return sites.find((each) => each.site_id === remembered) || sites[0];
}

export function siteSelect(id, sites, chosen, onchange) {
  return h(
    "select",
    { id, name: "site", onchange: (event) => localStorage.setItem(DESK_SITE, event.target.value) || onchange(event.target.value) },
    sites.map((each) => h("option", { value: each.site_id, selected: each.site_id === chosen.site_id }, each.name)),
  );
}

export function field(label, input, hint) {
  // input carries data-field: the API's name for it ("body.first_name"), where its errors are placed
  const hintId = hint ? `${input.id}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input, hint ? h("p", { id: hintId, class: "hint" }, hint) : null);
}

export function clearErrors(form) {
  for (const error of form.querySelectorAll(".field-error")) error.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", input.dataset.hint || "");
    if (!input.dataset.hint) input.removeAttribute("aria-describedby");
  }
}

export function placeErrors(form, details, { focus = true } = {}) {
  // each detail on the field it names, or on the nearest one its path starts with; the others returned
  const unplaced = [];
  for (const { field: path, message } of details || []) {
    let target = null;
    for (let parts = path.split("."); parts.length && !target; parts.pop()) {
      target = form.querySelector(`[data-field="${CSS.escape(parts.join("."))}"]`);
    }
    if (!target) {
      unplaced.push(`${path}: ${message}`);
      continue;
    }
    const error = h("p", { class: "field-error", id: `${target.id}-error` }, message);
    target.dataset.hint ??= target.getAttribute("aria-describedby") || "";
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", `${target.dataset.hint} ${error.id}`.trim());
    (target.closest(".field") || target).append(error);
  }
  if (focus) form.querySelector("[aria-invalid]")?.focus();
  return unplaced;
}

export function refused(form, message, error) {
  // a 422's details on their fields (what none names, in the message); any other refusal in words
  message.className = "message error";
  const unplaced = error.status === 422 && form ? placeErrors(form, error.body?.details) : [];
  message.textContent = error.status === 422 ? [t("form.check_fields"), ...unplaced].join(" ") : refusal(error);
}

export function refusal(error) {
  // a refusal in words: a network error says what to do, the API's message says why
  if (error.status === undefined) return t("form.network");
  return error.message;
}

export function daysLeft(iso) {
  if (!iso) return "—";
  const days = Math.ceil((new Date(iso) - Date.now()) / 86400000);
  return days <= 0 ? t("work.expires_today") : t("work.days_left", { days });
}

const HOUSING = ["fixed_address", "care_of", "no_fixed_address", "prefers_not_to_answer"];

export function housingFields(prefix, current = { housing_situation: "fixed_address", address: {} }) {
  // the housing situation, and the address it calls for (care_of names who receives the mail)
  const input = (name, attributes) => h("input", { id: `${prefix}-${name.replaceAll("_", "-")}`, name, "data-field": `body.address.${name}`, autocomplete: "off", value: current.address?.[name] || "", ...attributes });
  const radios = HOUSING.map((value) => h("input", { type: "radio", name: `${prefix}-housing`, id: `${prefix}-housing-${value}`, value, checked: value === current.housing_situation, "data-field": value === HOUSING[0] ? "body.housing_situation" : null }));
  const careOf = input("care_of", { maxlength: 200 });
  const lines = [input("line1", { maxlength: 200 }), input("line2", { maxlength: 200 }), input("postal_code", { maxlength: 16, size: 8 }), input("city", { maxlength: 100 })];
  const careOfField = field(t("onboard.care_of"), careOf, t("onboard.care_of_help"));
  const address = h(
    "fieldset",
    { id: `${prefix}-address`, "data-field": "body.address" },
    h("legend", {}, t("onboard.address")),
    careOfField,
    lines.map((line) => field({ line1: t("onboard.line1"), line2: t("onboard.line2"), postal_code: t("onboard.postal_code"), city: t("onboard.city") }[line.name], line)),
  );
  const housing = () => radios.find((radio) => radio.checked).value;
  const shape = () => {
    address.hidden = !["fixed_address", "care_of"].includes(housing());
    careOfField.hidden = housing() !== "care_of";
  };
  for (const radio of radios) radio.addEventListener("change", shape);
  shape();
  return {
    elements: [h("fieldset", {}, h("legend", {}, t("onboard.housing")), radios.map((radio) => h("label", { for: radio.id, class: "choice" }, radio, t(`onboard.housing.${radio.value}`)))), address],
    housing,
    address() {
      if (address.hidden) return null;
      const given = Object.fromEntries(lines.map((line) => [line.name, line.value.trim()]).filter(([name, value]) => value || name !== "line2"));
      return careOfField.hidden ? given : { care_of: careOf.value.trim(), ...given };
    },
  };
}
