// The waiting room's screen: the numbers called and the counter to go to, large; per station how
// many wait and the estimated wait. A new call chimes and is said aloud. Numbers only: the board
// carries no name. Through a network drop it keeps the last board, says it is reconnecting, and
// catches up after (a call made meanwhile is still announced).

import { api } from "../api.js";
import { h } from "../dom.js";
import { language, t, wordsIn } from "../i18n.js";
import { refreshEvery, show } from "../page.js";
import { renew } from "../session.js";

const POLL_MS = 3000;
const READ_TIMEOUT_MS = 10000;
export const SITE_KEY = "fondation.display.site";
const VOICES = { fr: "fr-FR", en: "en-GB" };

let announced = new Set(); // the calls on the board as this screen last showed it: "A012|desk-2|<called at>"
let sound = null; // the audio context, once a touch has allowed the page to make sounds

export function chooseSite(problem) {
  const input = h("input", { id: "display-site", name: "site", required: true, autocomplete: "off", value: localStorage.getItem(SITE_KEY) || "" });
  const form = h(
    "form",
    {
      class: "filters",
      onsubmit: (event) => {
        event.preventDefault();
        const site = input.value.trim().toLowerCase(); // "Saint-Denis" is the site saint-denis
        localStorage.setItem(SITE_KEY, site);
        location.hash = `#/display/${encodeURIComponent(site)}`;
      },
    },
    h("label", { for: "display-site" }, t("display.site_id"), input),
    h("button", { type: "submit", class: "primary" }, t("display.show")),
  );
  show(t("display.choose_site"), problem ? h("p", { class: "message error", role: "alert" }, problem) : null, form);
}

export async function display(site, { unknownSite, signedOut }) {
  // the screen is drawn at once and reads the board until it answers: a screen started while the
  // network or the API is down shows "reconnecting", then the board, with nobody to press anything
  const read = () => api(`/sites/${encodeURIComponent(site)}/board`, { timeout: READ_TIMEOUT_MS });
  let board = null;
  let reading = false; // one read at a time: a read that hangs is given up, never piled up
  const title = h("h1", {}, site);
  const calling = h("ol", { class: "calling", "aria-label": t("display.now_calling") });
  const stations = h("tbody");
  const status = h("p", { class: "display-status", role: "status" });
  const soundButton = h("button", { type: "button", class: "primary sound", onclick: () => turnSoundOn(soundButton) }, t("display.sound_on"));
  document.body.classList.add("display-mode");
  show(
    site,
    sound ? null : h("div", { class: "sound-prompt" }, soundButton, h("p", {}, t("display.sound_explained"))),
    h("section", { "aria-labelledby": "calling-heading" }, h("h2", { id: "calling-heading" }, t("display.now_calling")), calling),
    h(
      "section",
      { "aria-labelledby": "stations-heading" },
      h("h2", { id: "stations-heading", class: "visually-hidden" }, t("display.station")),
      h("table", { class: "stations" }, h("thead", {}, h("tr", {}, [t("display.station"), t("display.waiting"), t("display.wait")].map((text) => h("th", { scope: "col" }, text)))), stations),
    ),
    status,
  );
  document.querySelector("main h1").replaceWith(title);
  const draw = () => {
    title.textContent = board.name;
    document.title = board.name;
    const shown = calls(board).sort((one, other) => other.called_at.localeCompare(one.called_at));
    calling.replaceChildren(
      ...(shown.length
        ? shown.map((call) => h("li", { "data-number": call.number }, h("span", { class: "number" }, call.number), h("span", { class: "go-to" }, `${t("display.go_to")} `, h("strong", {}, counterName(call)))))
        : [h("li", { class: "nobody" }, t("display.nobody_called"))]),
    );
    stations.replaceChildren(
      ...board.stations.map((station) => h("tr", {}, h("th", { scope: "row" }, station.name), h("td", {}, station.waiting), h("td", {}, t("display.minutes", { minutes: station.estimated_wait_minutes })))),
    );
  };
  const poll = async () => {
    if (reading) return;
    reading = true;
    try {
      const fresh = await read().catch(async (error) => {
        if (error.status !== 401) throw error;
        await renew(); // the session ran out: a new one, and the board at once
        return read();
      });
      const first = board === null;
      board = fresh;
      localStorage.setItem(SITE_KEY, site);
      const called = calls(board).filter((call) => !announced.has(key(call)));
      announced = new Set(calls(board).map(key)); // a call called again has a new time: kept for weeks, it stays small
      status.textContent = t("display.updated", { time: new Date().toLocaleTimeString(language()) });
      status.classList.remove("error");
      draw();
      if (called.length && !first) await announce(called, board.screen_languages); // a screen turned on repeats nobody
    } catch (error) {
      if (error.status === 404 || error.status === 422) return unknownSite(site);
      if (error.status === 401 || error.status === 403 || error.renewal) return signedOut();
      status.textContent = t("display.reconnecting");
      status.classList.add("error");
    } finally {
      reading = false;
    }
  };
  await poll();
  refreshEvery(poll, POLL_MS);
}

const calls = (board) => board.stations.flatMap((station) => station.now_calling);
const key = (call) => `${call.number}|${call.counter}|${call.called_at}`;
const counterName = (call) => call.counter_name || call.counter;
// "A012" is said "A 12"
const spoken = (number) => number.replace(/^([A-Z]+)0*(\d+)$/, "$1 $2");

function turnSoundOn(button) {
  sound = new AudioContext();
  speechSynthesis.speak(new SpeechSynthesisUtterance("")); // a page may speak only after a touch
  button.closest(".sound-prompt").remove();
}

function chime() {
  if (!sound) return;
  const start = sound.currentTime;
  for (const [index, pitch] of [659.25, 880].entries()) {
    const tone = sound.createOscillator();
    const volume = sound.createGain();
    tone.frequency.value = pitch;
    volume.gain.setValueAtTime(0.25, start + index * 0.3);
    volume.gain.exponentialRampToValueAtTime(0.001, start + index * 0.3 + 0.28);
    tone.connect(volume).connect(sound.destination);
    tone.start(start + index * 0.3);
    tone.stop(start + index * 0.3 + 0.3);
  }
}

async function announce(fresh, languages) {
  // each call in each of the site's languages, in order ("Numéro A 12, Guichet 2." then "Number A 12, …")
  const sayings = await Promise.all(languages.map(async (code) => [code, await wordsIn(code)]));
  chime();
  for (const call of fresh) {
    for (const [code, words] of sayings) {
      const utterance = new SpeechSynthesisUtterance(words("display.announce", { number: spoken(call.number), counter: counterName(call) }));
      utterance.lang = VOICES[code];
      speechSynthesis.speak(utterance);
    }
  }
}
