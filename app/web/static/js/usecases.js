// The use-case browser: facet filters (counts from GET /api/v1/usecases `facets`, names
// from the vocabularies), keyword or semantic search, pagination, exports. Every filter
// lives in the URL query string, so a filtered view can be shared (/usecases?gsbpm=5.2).

import { API, api, codeLabel, describeError, fill, h, initPage, termLabel, vocabularies } from "./common.js";
import { t, tn } from "./i18n.js";

const PAGE_SIZE = 20;
// The last six have no menu: they come from links (the landscape page) and show as chips.
const FILTERS = ["gsbpm", "gamso", "stage", "organisation", "country", "openness", "hosting",
  "task_type", "pattern", "scope", "org_type", "year", "origin"];
const LABELS = {
  gsbpm: "GSBPM", gamso: "GAMSO", stage: t("browse.stage"), organisation: t("browse.organisation"),
  country: t("browse.country"), openness: t("browse.openness"), hosting: t("browse.hosting"),
  task_type: t("browse.task"), pattern: t("browse.technique"), scope: t("browse.scope"),
  org_type: t("browse.org_type"), year: t("browse.year"), origin: t("browse.origin"), q: t("browse.search"),
};
const VOCAB_OF = { gamso: "gamso", stage: "lifecycle_stage", openness: "model_openness", hosting: "hosting",
  task_type: "task_types", pattern: "genai_patterns", scope: "scope", org_type: "organisation_type" };

const $ = (id) => document.getElementById(id);
const results = $("results");
const heading = $("results-heading");
const errorBox = $("results-error");
let vocabs = {};
let sequence = 0;

// ---------------------------------------------------------------------- URL state

function readState() {
  const params = new URLSearchParams(location.search);
  const state = { q: (params.get("q") || "").trim(), semantic: params.get("semantic") === "1",
    page: Math.max(1, Number.parseInt(params.get("page") || "1", 10) || 1) };
  for (const name of FILTERS) state[name] = params.getAll(name).filter(Boolean);
  return state;
}

function writeState(state, { replace = false } = {}) {
  const params = new URLSearchParams();
  for (const name of FILTERS) for (const value of state[name]) params.append(name, value);
  if (state.q) params.set("q", state.q);
  if (state.semantic) params.set("semantic", "1");
  if (state.page > 1) params.set("page", String(state.page));
  const query = params.toString();
  const url = `${location.pathname}${query ? `?${query}` : ""}`;
  if (url !== `${location.pathname}${location.search}`) {
    history[replace ? "replaceState" : "pushState"]({}, "", url);
  }
}

function listQuery(state, { withQ = true, limit = PAGE_SIZE, offset = 0 } = {}) {
  const params = new URLSearchParams();
  for (const name of FILTERS) for (const value of state[name]) params.append(name, value);
  if (withQ && state.q) params.set("q", state.q);
  params.set("limit", String(limit));
  params.set("offset", String(offset));
  return `${API}/usecases?${params}`;
}

// ---------------------------------------------------------------------- filters

function gsbpmTerms() {
  return vocabs.gsbpm || [];
}

function option(value, text, count, selected) {
  const label = count === undefined ? text : `${text} (${count})`;
  return h("option", { value, selected }, label);
}

function renderFilters(state, facets) {
  const chosen = state.gsbpm[0] || "";
  const chosenTerm = gsbpmTerms().find((term) => term.code === chosen);
  const phase = chosenTerm ? (chosenTerm.parent || chosenTerm.code) : "";
  const sub = chosenTerm && chosenTerm.parent ? chosenTerm.code : "";

  const phaseCounts = facets.gsbpm_phase || {};
  fill($("f-gsbpm-phase"), option("", t("browse.all_phases"), undefined, !phase),
    gsbpmTerms().filter((term) => !term.parent && (phaseCounts[term.code] || term.code === phase))
      .map((term) => option(term.code, `${term.code} ${term.name}`, phaseCounts[term.code] || 0, term.code === phase)));

  const subCounts = facets.gsbpm || {};
  fill($("f-gsbpm"), option("", phase ? t("browse.all_subs_of_phase") : t("browse.all_subs"), undefined, !sub),
    gsbpmTerms().filter((term) => term.parent && (!phase || term.parent === phase) && (subCounts[term.code] || term.code === sub))
      .map((term) => option(term.code, `${term.code} ${term.name}`, subCounts[term.code] || 0, term.code === sub)));

  for (const select of document.querySelectorAll("#filters select[data-param]")) {
    const name = select.dataset.param;
    const counts = facets[select.dataset.facet] || {};
    const current = state[name][0] || "";
    let values;
    if (VOCAB_OF[name]) {
      values = (vocabs[VOCAB_OF[name]] || []).map((term) => term.code);
    } else {
      values = Object.keys(counts).sort((a, b) => a.localeCompare(b));
    }
    values = values.filter((v) => counts[v] || v === current);
    const allText = { organisation: t("browse.all_organisations"), country: t("browse.all_countries") }[name] || t("browse.any");
    fill(select, option("", allText, undefined, !current),
      values.map((v) => option(v, VOCAB_OF[name] ? termLabel(vocabs, VOCAB_OF[name], v) : v, counts[v] || 0, v === current)));
  }

  const active = FILTERS.reduce((n, name) => n + state[name].length, 0);
  $("filter-count").textContent = active ? t("browse.active_count", { n: active }) : "";
}

function filterLabel(name, value) {
  if (name === "gsbpm") return termLabel(vocabs, "gsbpm", value);
  if (VOCAB_OF[name]) return termLabel(vocabs, VOCAB_OF[name], value);
  return value;
}

function renderActive(state) {
  const chips = [];
  for (const name of FILTERS) {
    for (const value of state[name]) {
      const text = t("browse.chip", { label: LABELS[name], value: filterLabel(name, value) });
      chips.push(h("li", {}, h("button", {
        type: "button", class: "chip", "aria-label": t("browse.remove_filter", { text }),
        onclick: () => update((s) => { s[name] = s[name].filter((v) => v !== value); }),
      }, text, h("span", { "aria-hidden": "true" }, " ×"))));
    }
  }
  if (state.q) {
    const text = t(state.semantic ? "browse.semantic_chip" : "browse.search_chip", { q: state.q });
    chips.push(h("li", {}, h("button", {
      type: "button", class: "chip", "aria-label": t("browse.remove", { text }),
      onclick: () => update((s) => { s.q = ""; }),
    }, text, h("span", { "aria-hidden": "true" }, " ×"))));
  }
  fill($("active-filters"), chips);
}

// ---------------------------------------------------------------------- results

function card(detail, match) {
  const record = detail.record;
  const orgs = (record.organisations || []).map((o) => o.acronym ? `${o.name} (${o.acronym})` : o.name).join("; ");
  const countries = [...new Set((record.organisations || []).map((o) => o.country))].join(", ");
  const year = record.year_started || record.year_reported;
  const tags = [
    h("span", { class: "badge neutral" }, codeLabel("lifecycle_stage", record.lifecycle_stage)),
    ...(record.gsbpm || []).map((code) => h("a", { class: "tag", href: `/usecases?gsbpm=${encodeURIComponent(code)}`, title: termLabel(vocabs, "gsbpm", code) }, `GSBPM ${code}`)),
    ...(record.gamso || []).map((code) => h("a", { class: "tag", href: `/usecases?gamso=${encodeURIComponent(code)}`, title: termLabel(vocabs, "gamso", code) }, `GAMSO ${code}`)),
    h("span", { class: "tag" }, t("browse.model_tag", { value: termLabel(vocabs, "model_openness", record.model_openness) })),
    h("span", { class: "tag" }, t("browse.hosting_tag", { value: termLabel(vocabs, "hosting", record.hosting) })),
  ];
  if (detail.status !== "published") tags.unshift(h("span", { class: "badge warn" }, codeLabel("record_status", detail.status)));
  return h("li", { class: "card", "data-id": record.id },
    h("h3", {}, h("a", { href: `/usecases/${encodeURIComponent(record.id)}` }, record.title)),
    h("p", { class: "org" }, [orgs, countries, year].filter(Boolean).join(" · ")),
    match ? h("p", { class: "match" }, h("strong", {}, match.section ? t("browse.passage_in", { section: match.section }) : t("browse.passage")), snippet(match.text)) : null,
    h("p", { class: "summary" }, record.summary),
    h("p", { class: "tags" }, tags));
}

function snippet(text) {
  const clean = String(text || "").replace(/\s+/g, " ").trim();
  return clean.length > 280 ? `${clean.slice(0, 277)}…` : clean;
}

function pagination(state, count) {
  const pages = Math.max(1, Math.ceil(count / PAGE_SIZE));
  const nav = $("pagination");
  nav.hidden = pages <= 1;
  $("page-info").textContent = t("browse.page_of", { page: Math.min(state.page, pages), pages });
  $("prev-page").disabled = state.page <= 1;
  $("next-page").disabled = state.page >= pages;
}

async function load({ focusResults = false } = {}) {
  const state = readState();
  const mine = ++sequence;
  $("q").value = state.q;
  $("semantic").checked = state.semantic;
  results.setAttribute("aria-busy", "true");
  errorBox.hidden = true;
  try {
    vocabs = await vocabularies();
    const semantic = state.semantic && state.q;
    const list = await api(listQuery(state, { withQ: !semantic, offset: semantic ? 0 : (state.page - 1) * PAGE_SIZE, limit: semantic ? 1 : PAGE_SIZE }));
    if (mine !== sequence) return;
    renderFilters(state, list.facets || {});
    renderActive(state);
    if (semantic) {
      await semanticResults(state, mine);
    } else {
      heading.textContent = tn("browse.count", list.count);
      fill(results, list.data.length ? list.data.map((d) => card(d)) : h("li", { class: "notice" }, t("browse.none")));
      pagination(state, list.count);
    }
    if (focusResults) heading.focus();
  } catch (err) {
    if (mine !== sequence) return;
    heading.textContent = t("browse.failed");
    errorBox.textContent = describeError(err);
    errorBox.hidden = false;
    fill(results);
    $("pagination").hidden = true;
  } finally {
    if (mine === sequence) results.removeAttribute("aria-busy");
  }
}

async function semanticResults(state, mine) {
  const filters = { doc_type: ["usecase"] };
  for (const name of FILTERS) if (state[name].length) filters[name] = state[name];
  const found = await api(`${API}/search`, { method: "POST", json: { query: state.q, k: 30, filters } });
  const best = new Map();
  for (const hit of found.data) if (!best.has(hit.doc_id)) best.set(hit.doc_id, hit);
  const ids = [...best.keys()].slice(0, PAGE_SIZE);
  const details = await Promise.allSettled(ids.map((id) => api(`${API}/usecases/${encodeURIComponent(id)}`)));
  if (mine !== sequence) return;
  const cards = [];
  details.forEach((outcome, i) => {
    if (outcome.status === "fulfilled") cards.push(card(outcome.value, best.get(ids[i])));
  });
  heading.textContent = tn("browse.count_semantic", cards.length);
  fill(results, cards.length ? cards : h("li", { class: "notice" }, t("browse.none_semantic")));
  $("pagination").hidden = true;
}

function update(change, options = {}) {
  const state = readState();
  change(state);
  state.page = options.keepPage ? state.page : 1;
  writeState(state);
  load(options);
}

// ---------------------------------------------------------------------- events

$("f-gsbpm-phase").addEventListener("change", (event) => {
  const value = event.target.value;
  update((s) => { s.gsbpm = value ? [value] : []; });
});
$("f-gsbpm").addEventListener("change", (event) => {
  const value = event.target.value || $("f-gsbpm-phase").value;
  update((s) => { s.gsbpm = value ? [value] : []; });
});
for (const select of document.querySelectorAll("#filters select[data-param]")) {
  select.addEventListener("change", () => {
    update((s) => { s[select.dataset.param] = select.value ? [select.value] : []; });
  });
}
$("clear-filters").addEventListener("click", () => update((s) => { for (const name of FILTERS) s[name] = []; }));
$("filters").addEventListener("submit", (event) => event.preventDefault());
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  update((s) => { s.q = $("q").value.trim(); s.semantic = $("semantic").checked; }, { focusResults: true });
});
$("semantic").addEventListener("change", () => {
  if ($("q").value.trim()) $("search-form").requestSubmit();
  else update((s) => { s.semantic = $("semantic").checked; });
});
$("prev-page").addEventListener("click", () => update((s) => { s.page -= 1; }, { keepPage: true, focusResults: true }));
$("next-page").addEventListener("click", () => update((s) => { s.page += 1; }, { keepPage: true, focusResults: true }));
window.addEventListener("popstate", () => load());

heading.setAttribute("tabindex", "-1");
if (window.matchMedia("(max-width: 960px)").matches) $("filters-wrap").open = false;
initPage();
load();
