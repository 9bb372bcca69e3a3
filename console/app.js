// The programme's web app: a view per role over the API. Routes: #/ (the overview of executions),
// #/workflows/<workflow> (its executions), #/workflows/<workflow>/executions/<name>, locally
// #/mailbox (what the dispatcher delivered to the local mailbox instead of SNS and SES), and
// #/display/<site> (the waiting room's screen: the only view of the display group), #/counter
// (the front desk's counter; #/counter/setup chooses it), #/check-in, #/onboarding, #/work (the work
// lists), #/clients/<id> (a client's record), #/orders/new/<client id> and #/orders/<id>.

import { h } from "./dom.js";
import { failed, show, stopRefreshing } from "./page.js";
import { claims, cognitoSignIn, config, currentToken, finishCognitoSignIn, forgetToken, groups, isScreen, loadConfig, localSignIn, renew, signOutScreen } from "./session.js";
import { t, useLanguage } from "./i18n.js";
import { checkIn } from "./views/check-in.js";
import { clientRecord } from "./views/client.js";
import { chooseCounter, counterView } from "./views/counter.js";
import { chooseSite, display, SITE_KEY } from "./views/display.js";
import { mailbox } from "./views/mailbox.js";
import { onboarding } from "./views/onboarding.js";
import { newOrder, orderPage } from "./views/orders.js";
import { workLists } from "./views/work-lists.js";
import { execution, executions, overview } from "./views/workflows.js";

function signInPage(problem) {
  const actions =
    config.signIn === "local"
      ? config.groups.map((group) =>
          h("button", { type: "button", class: "primary", onclick: () => localSignIn(group).then(render).catch(failed) }, t("app.sign_in_as", { group })),
        )
      : [
          h("button", { type: "button", class: "primary", onclick: () => cognitoSignIn().catch(failed) }, t("app.sign_in")),
          h("button", { type: "button", onclick: () => cognitoSignIn(true).catch(failed) }, t("app.sign_in_screen")),
        ];
  const explanation =
    config.signIn === "local"
      ? t("app.sign_in_local")
      : t("app.sign_in_stage");
  show(t("app.sign_in"), h("section", { class: "sign-in" }, problem ? h("p", { class: "message error", role: "alert" }, problem) : null, h("p", {}, explanation), h("div", { class: "actions" }, actions)));
}

function signOut() {
  signOutScreen();
  localStorage.removeItem(SITE_KEY); // a screen signed out is set up again
  location.hash = "#/";
  render();
}

async function render() {
  stopRefreshing();
  document.onkeydown = null; // a view's shortcuts are its own
  if (location.hash === "#/sign-out") return signOut(); // a screen has no button: its address signs it out
  if (!currentToken() && isScreen()) await renew().catch(() => {}); // a screen restarted: signed in again
  const token = currentToken();
  const who = document.getElementById("who");
  const signOutButton = document.getElementById("sign-out");
  signOutButton.hidden = !token;
  if (!token && isScreen() && localStorage.getItem(SITE_KEY)) {
    // a screen whose user pool is out of reach: its view says it is reconnecting, and renews once it can
    document.body.classList.add("display-mode");
    return display(localStorage.getItem(SITE_KEY), { unknownSite, signedOut: sessionEnded }).catch(failed);
  }
  if (!token) {
    document.getElementById("mailbox-link").hidden = true;
    for (const link of document.querySelectorAll(".front-desk")) link.hidden = true;
    who.textContent = "";
    signInPage();
    return;
  }
  const you = claims(token);
  who.textContent = `${you["cognito:username"] || you.email || "signed in"} (${groups().join(", ") || "no group"})`;
  const [route, search] = location.hash.replace(/^#/, "").split("?");
  const parts = route.split("/").filter(Boolean).map(decodeURIComponent);
  document.body.classList.toggle("display-mode", parts[0] === "display" || groups().includes("display"));
  try {
    document.getElementById("mailbox-link").hidden = !config.mailbox || !groups().includes("managers");
    for (const link of document.querySelectorAll(".front-desk")) link.hidden = !groups().includes("front-desk");
    if (parts[0] === "display" && parts[1]) await display(parts[1], { unknownSite, signedOut: sessionEnded });
    else if (parts[0] === "display" || groups().includes("display")) screenSite();
    else if (parts[0] === "check-in") await checkIn();
    else if (parts[0] === "onboarding") await onboarding(new URLSearchParams(search || ""));
    else if (parts[0] === "work") await workLists();
    else if (parts[0] === "clients" && parts[1]) await clientRecord(parts[1]);
    else if (parts[0] === "orders" && parts[1] === "new" && parts[2]) await newOrder(parts[2]);
    else if (parts[0] === "orders" && parts[1]) await orderPage(parts[1]);
    else if (parts[0] === "counter" && parts[1] === "setup") await chooseCounter();
    else if (parts[0] === "counter" || (!parts[0] && frontDeskOnly())) await counterView();
    else if (parts[0] === "mailbox" && config.mailbox) await mailbox();
    else if (parts[0] === "workflows" && parts[2] === "executions" && parts[3]) await execution(parts[1], parts[3]);
    else if (parts[0] === "workflows" && parts[1]) await executions(parts[1], new URLSearchParams(search || ""));
    else await overview();
  } catch (error) {
    if ((error.status === 404 || error.status === 422) && parts[0] === "display") {
      unknownSite(parts[1]);
    } else if (error.status === 401) {
      sessionEnded();
    } else if (error.status === 403) {
      failed(new Error(t("app.forbidden")));
    } else {
      failed(error);
    }
  }
}

const frontDeskOnly = () => groups().includes("front-desk") && !groups().some((group) => ["managers", "ops"].includes(group));

function sessionEnded() {
  stopRefreshing();
  forgetToken();
  signInPage(t("app.session_ended"));
}

function screenSite() {
  // a screen shows the site it was set up for; the first time, someone says which
  const site = localStorage.getItem(SITE_KEY);
  if (site) location.replace(`#/display/${encodeURIComponent(site)}`);
  else chooseSite();
}

function unknownSite(site) {
  localStorage.removeItem(SITE_KEY);
  chooseSite(t("display.unknown_site", { site }));
}

async function start() {
  document.getElementById("sign-out").addEventListener("click", signOut);
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault(); // the address is the page: "#main" is none
    document.getElementById("main").focus();
  });
  await Promise.all([loadConfig(), useLanguage()]);
  for (const element of document.querySelectorAll("[data-words]")) element.textContent = t(element.dataset.words);
  if (config.signIn === "cognito") await finishCognitoSignIn();
  window.addEventListener("hashchange", render);
  await render();
}

start().catch(failed);
