// The app's words, in French and English (strings/<language>.json, the same keys in both): French,
// unless the browser prefers English or the person chose it on this device.

export const LANGUAGES = ["fr", "en"];
const CHOICE_KEY = "fondation.language";
const dictionaries = {};
let current = "fr";

export const language = () => current;
export const known = (key) => key in (dictionaries[current] || {});

function preferred() {
  const chosen = localStorage.getItem(CHOICE_KEY);
  if (LANGUAGES.includes(chosen)) return chosen;
  const asked = (navigator.languages || [navigator.language]).map((tag) => String(tag).slice(0, 2).toLowerCase());
  return asked.find((tag) => LANGUAGES.includes(tag)) || "fr";
}

async function dictionary(code) {
  if (!dictionaries[code]) dictionaries[code] = await (await fetch(`strings/${code}.json`)).json();
  return dictionaries[code];
}

export async function useLanguage(code = preferred(), remember = false) {
  await dictionary(code);
  current = code;
  document.documentElement.lang = code;
  if (remember) localStorage.setItem(CHOICE_KEY, code);
}

export async function wordsIn(code) {
  // another language's words, for what is said aloud in the site's languages
  const words = await dictionary(code);
  return (key, values = {}) => fill(words[key] ?? key, values);
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function t(key, values = {}) {
  return fill(dictionaries[current]?.[key] ?? key, values);
}
