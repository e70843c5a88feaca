// The interface's strings in the page's language. The server embeds the language's
// catalogue (app/web/locales/<lang>.json) in every page as JSON data, so no request and
// no inline script is needed.

const element = document.getElementById("gaios-strings");
const strings = element ? JSON.parse(element.textContent) : {};

/** The page's language ("en", "fr"), as the server chose it. */
export const lang = document.documentElement.lang || "en";

const plural = new Intl.PluralRules(lang);

/** The text of `key` with its {name} placeholders filled from `values`. */
export function t(key, values = {}) {
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** `key.one` or `key.other` by the language's plural rule for `n`, with {n} filled. */
export function tn(key, n, values = {}) {
  const form = plural.select(n) === "one" ? "one" : "other";
  return t(`${key}.${form}`, { n, ...values });
}

/** Whether the catalogue has `key` (for labels that fall back to a humanised code). */
export function has(key) {
  return key in strings;
}
