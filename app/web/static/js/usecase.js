// One use case: every field of the record, its sources as links, its revision history
// and a link to download it as YAML.

import {
  API, api, describeError, externalLink, fill, formatDate, h, humanise, initPage, onSessionChange,
  paragraphs, termLabel, vocabularies,
} from "./common.js";

const $ = (id) => document.getElementById(id);
const root = $("usecase");
const id = root.dataset.id;
let vocabs = {};

// Fields shown in a section of their own, or in the header.
const SHOWN = new Set([
  "schema_version", "id", "title", "summary", "description", "organisations", "partners", "year_started",
  "year_reported", "lifecycle_stage", "stage_as_reported", "scope", "gsbpm", "gamso", "task_types",
  "genai_patterns", "ai_classification", "models", "model_openness", "hosting", "data_inputs",
  "data_sensitivity", "personal_data", "human_oversight", "evaluation", "quality_dimensions", "benefits",
  "risks", "lessons_learned", "code_url", "code_licence", "contact", "sources", "related", "record_meta",
]);

const empty = (value) => value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length);

/** A definition list of [label, value] rows, skipping empty values. */
function fields(rows) {
  const items = rows.filter(([, value]) => !empty(value));
  if (!items.length) return null;
  return h("dl", { class: "fields" }, items.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

function section(title, ...content) {
  const body = content.flat().filter(Boolean);
  if (!body.length) return null;
  return h("section", { class: "panel", "aria-labelledby": `h-${slug(title)}` }, h("h2", { id: `h-${slug(title)}` }, title), body);
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

function list(values, render = (v) => v) {
  if (empty(values)) return null;
  return h("ul", {}, values.map((v) => h("li", {}, render(v))));
}

function terms(name, values) {
  return empty(values) ? null : values.map((v) => termLabel(vocabs, name, v)).join(", ");
}

function codeLinks(kind, codes) {
  if (empty(codes)) return null;
  return h("ul", {}, codes.map((code) => h("li", {},
    h("a", { href: `/usecases?${kind}=${encodeURIComponent(code)}` }, termLabel(vocabs, kind, code)))));
}

function table(headers, rows) {
  return h("div", { class: "table-scroll" }, h("table", { class: "subtable" },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell ?? "")))))));
}

function yesNo(value) {
  if (value === true) return "Yes";
  if (value === false) return "No";
  return "Not stated";
}

function render(detail, revisions) {
  const r = detail.record;
  document.title = `${r.title} · GAIOS`;
  $("usecase-title").textContent = r.title;

  const badges = h("div", { class: "detail-head-badges" },
    h("span", { class: "badge neutral" }, `Stage: ${humanise(r.lifecycle_stage)}`),
    h("span", { class: "badge neutral" }, `Scope: ${humanise(r.scope)}`),
    h("span", { class: "badge info" }, humanise(r.ai_classification)),
    detail.status !== "published" ? h("span", { class: "badge warn" }, `Status: ${humanise(detail.status)} (revision ${detail.revision})`) : null,
    detail.review_comment ? h("span", { class: "badge bad" }, `Review comment: ${detail.review_comment}`) : null);

  const actions = h("div", { class: "detail-actions" },
    h("a", { class: "button", href: `${API}/usecases/${encodeURIComponent(id)}/yaml`, download: `${id}.yaml` }, "Download YAML"),
    h("a", { class: "button", href: `${API}/usecases/${encodeURIComponent(id)}`, type: "application/json" }, "View as JSON"));

  const orgs = table(["Organisation", "Acronym", "Type", "Country"],
    r.organisations.map((o) => [o.name, o.acronym || "", termLabel(vocabs, "organisation_type", o.type), o.country]));

  const overview = section("Overview",
    h("p", { class: "lede" }, r.summary),
    r.description ? h("div", { class: "prose" }, paragraphs(r.description)) : null);

  const who = section("Organisations", orgs, fields([
    ["Partners", list(r.partners)],
    ["Year started", r.year_started],
    ["Year reported", r.year_reported],
    ["Lifecycle stage", humanise(r.lifecycle_stage)],
    ["Stage as reported", r.stage_as_reported],
    ["Scope", humanise(r.scope)],
  ]));

  const classification = section("Classification", fields([
    ["GSBPM 5.1", codeLinks("gsbpm", r.gsbpm)],
    ["GAMSO", codeLinks("gamso", r.gamso)],
    ["Task types", terms("task_types", r.task_types)],
    ["Generative AI patterns", terms("genai_patterns", r.genai_patterns)],
    ["AI classification", termLabel(vocabs, "ai_classification", r.ai_classification)],
  ]));

  const models = section("Models and hosting",
    empty(r.models) ? null : table(["Model", "Provider", "Version", "Openness", "Hosting", "Role"],
      r.models.map((m) => [m.name, m.provider || "", m.version || "", termLabel(vocabs, "model_openness", m.openness),
        termLabel(vocabs, "hosting", m.hosting), humanise(m.role)])),
    fields([
      ["Model openness", termLabel(vocabs, "model_openness", r.model_openness)],
      ["Hosting", termLabel(vocabs, "hosting", r.hosting)],
    ]));

  const data = section("Data and oversight", fields([
    ["Data inputs", r.data_inputs],
    ["Data sensitivity", termLabel(vocabs, "data_sensitivity", r.data_sensitivity)],
    ["Personal data", yesNo(r.personal_data)],
    ["Human oversight", termLabel(vocabs, "human_oversight", r.human_oversight)],
  ]));

  const ev = r.evaluation || {};
  const evaluation = section("Evaluation and quality", fields([
    ["Method", ev.method],
    ["Metrics", empty(ev.metrics) ? null : ev.metrics.join(", ")],
    ["Baseline", ev.baseline],
    ["Dataset size", ev.dataset_size],
    ["Results", ev.results],
    ["Quality dimensions", terms("quality_dimensions", r.quality_dimensions)],
  ]));

  const benefits = section("Benefits",
    empty(r.benefits) ? null : table(["Type", "Benefit", "Value"],
      r.benefits.map((b) => [termLabel(vocabs, "benefit_type", b.type), b.text,
        b.value === null || b.value === undefined ? "" : `${b.value}${b.unit ? ` ${b.unit}` : ""}`])));

  const risks = section("Risks and mitigations",
    empty(r.risks) ? null : table(["Risk", "Mitigation", "Note"],
      r.risks.map((x) => [termLabel(vocabs, "risks", x.risk), x.mitigation || "", x.note || ""])));

  const lessons = section("Lessons learned", list(r.lessons_learned));

  const code = section("Code and contact", fields([
    ["Code", r.code_url ? externalLink(r.code_url) : null],
    ["Code licence", r.code_licence],
    ["Contact", r.contact],
  ]));

  const sources = section("Sources", h("ol", { class: "sources-list" }, r.sources.map((s) => h("li", {},
    externalLink(s.url, s.title || s.url),
    h("span", { class: "source-meta" }, ` ${[s.publisher, s.date, humanise(s.kind), `confidence ${s.confidence}`].filter(Boolean).join(" · ")}`)))));

  const related = section("Related use cases", list(r.related, (rid) => h("a", { href: `/usecases/${encodeURIComponent(rid)}` }, rid)));

  const other = Object.entries(r).filter(([key, value]) => !SHOWN.has(key) && !empty(value));
  const extra = other.length ? section("Other fields", fields(other.map(([key, value]) =>
    [humanise(key), typeof value === "object" ? h("pre", {}, JSON.stringify(value, null, 2)) : String(value)]))) : null;

  const origin = (p) => [
    ["Repository", h("span", {}, `${p.source} (`, externalLink(p.source_url), ")")],
    ["Record there", externalLink(p.remote_url, p.remote_id)],
    ["Revision there", p.remote_revision == null ? null : String(p.remote_revision)],
    ["Licence", p.licence],
    ["Harvested", formatDate(p.harvested_at)],
  ];
  const provenance = detail.provenance ? section("Harvested from another repository",
    h("p", {}, "This record is read-only here: it changes when its source changes it."),
    fields(origin(detail.provenance))) : null;
  const alsoReported = (detail.also_reported_by || []).length ? section("Also reported by",
    ...detail.also_reported_by.map((p) => fields(origin(p)))) : null;

  const meta = r.record_meta || {};
  const record = section("Record", fields([
    ["Identifier", h("code", {}, r.id)],
    ["Schema version", r.schema_version],
    ["Origin", humanise(detail.origin)],
    ["Created", meta.created],
    ["Updated", meta.updated],
    ["Curator", meta.curator],
    ["Licence", meta.licence],
    ["Revision shown", `${detail.revision} of ${detail.latest_revision}`],
  ]));

  const history = section("Revision history", revisions.length
    ? table(["Revision", "Status", "Author", "Submitted", "Comment", "Reviewed by", "Review comment"],
      revisions.slice().reverse().map((rev) => [String(rev.number), humanise(rev.status), rev.author, formatDate(rev.created_at),
        rev.comment || "", rev.reviewer ? `${rev.reviewer}${rev.reviewed_at ? `, ${formatDate(rev.reviewed_at)}` : ""}` : "", rev.review_comment || ""]))
    : h("p", {}, "No revision history is visible to you."));

  fill($("usecase-body"), badges, actions,
    h("div", { class: "detail-grid" },
      h("div", {}, overview, classification, models, data, evaluation, benefits, risks, lessons, extra, history),
      h("div", {}, who, sources, provenance, alsoReported, code, related, record)));
}

async function load() {
  root.setAttribute("aria-busy", "true");
  $("usecase-error").hidden = true;
  try {
    const [detail, revisions, loaded] = await Promise.all([
      api(`${API}/usecases/${encodeURIComponent(id)}`),
      api(`${API}/usecases/${encodeURIComponent(id)}/revisions`).catch(() => []),
      vocabularies(),
    ]);
    vocabs = loaded;
    render(detail, revisions);
  } catch (err) {
    $("usecase-title").textContent = err.status === 404 ? "Use case not found" : "Use case could not be loaded";
    $("usecase-error").textContent = describeError(err);
    $("usecase-error").hidden = false;
    fill($("usecase-body"));
  } finally {
    root.removeAttribute("aria-busy");
  }
}

initPage();
onSessionChange(load);
load();
