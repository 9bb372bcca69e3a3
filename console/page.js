// The page shown in <main>: its title, its content, and its refresh while it is open and visible.

import { h } from "./dom.js";
import { t } from "./i18n.js";

const REFRESH_MS = 10000;
const main = document.getElementById("main");
let refresher = null;
let shownData = null; // what the page shows: a refresh that brings nothing new leaves the page alone
let refreshing = false;

export function unchanged(...data) {
  // on a refresh, true when nothing changed: the page, what is typed in it and its focus stay
  const signature = JSON.stringify(data);
  const same = refreshing && signature === shownData;
  shownData = signature;
  return same;
}

export function show(title, ...content) {
  document.title = `${title} · Fondation console`;
  const scrolled = window.scrollY;
  main.replaceChildren(h("h1", {}, title), ...content.flat().filter(Boolean));
  if (refreshing) window.scrollTo(0, scrolled);
  else main.focus({ preventScroll: true });
}

export function shownMessage() {
  return main.querySelector(".message");
}

export function failed(error) {
  show(t("app.failed"), h("p", { class: "message error", role: "alert" }, error.message || String(error)), h("p", {}, h("a", { href: "#/" }, t("app.back"))));
}

export function stopRefreshing() {
  clearInterval(refresher);
}

export function refreshEvery(page, every = REFRESH_MS) {
  // only while the page is shown and visible; a new page replaces the timer
  clearInterval(refresher);
  refresher = setInterval(async () => {
    if (document.visibilityState !== "visible" || document.getElementById("confirm").open) return;
    refreshing = true;
    try {
      await page();
    } catch {
      /* the next one tries again */
    } finally {
      refreshing = false;
    }
  }, every);
}
