// One use case: every field of the record, its sources as links, its revision history
// and a link to download it as YAML.

import {
  API, api, codeLabel, describeError, externalLink, fieldLabel, fill, formatDate, h, initPage, onSessionChange,
  paragraphs, termLabel, vocabularies,
} from "./common.js";
import { t } from "./i18n.js";

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

/** A definition list of [field, value] rows (the field's name in the interface's
 * language), skipping empty values. */
function fields(rows) {
  const items = rows.filter(([, value]) => !empty(value));
  if (!items.length) return null;
  return h("dl", { class: "fields" }, items.flatMap(([name, value]) => [h("dt", {}, fieldLabel(name)), h("dd", {}, value)]));
}

/** A section headed by the text of `key` ("usecase.revision_history" -> id h-revision-history). */
function section(key, ...content) {
  const body = content.flat().filter(Boolean);
  if (!body.length) return null;
  const ident = `h-${key.split(".").pop().replace(/_/g, "-")}`;
  return h("section", { class: "panel", "aria-labelledby": ident }, h("h2", { id: ident }, t(key)), body);
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

/** A table whose header cells are the names of `names` (fields of the record). */
function table(names, rows) {
  return h("div", { class: "table-scroll" }, h("table", { class: "subtable" },
    h("thead", {}, h("tr", {}, names.map((x) => h("th", { scope: "col" }, fieldLabel(x))))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell ?? "")))))));
}

function yesNo(value) {
  if (value === true) return t("common.yes");
  if (value === false) return t("common.no");
  return t("common.not_stated");
}

function render(detail, revisions) {
  const r = detail.record;
  document.title = `${r.title} · GAIOS`;
  $("usecase-title").textContent = r.title;

  const badges = h("div", { class: "detail-head-badges" },
    h("span", { class: "badge neutral" }, t("usecase.stage_badge", { stage: termLabel(vocabs, "lifecycle_stage", r.lifecycle_stage) })),
    h("span", { class: "badge neutral" }, t("usecase.scope_badge", { scope: termLabel(vocabs, "scope", r.scope) })),
    h("span", { class: "badge info" }, termLabel(vocabs, "ai_classification", r.ai_classification)),
    detail.status !== "published" ? h("span", { class: "badge warn" }, t("usecase.status_badge", { status: codeLabel("record_status", detail.status), n: detail.revision })) : null,
    detail.review_comment ? h("span", { class: "badge bad" }, t("usecase.review_comment_badge", { comment: detail.review_comment })) : null);

  const actions = h("div", { class: "detail-actions" },
    h("a", { class: "button", href: `${API}/usecases/${encodeURIComponent(id)}/yaml`, download: `${id}.yaml` }, t("usecase.download_yaml")),
    h("a", { class: "button", href: `${API}/usecases/${encodeURIComponent(id)}`, type: "application/json" }, t("usecase.view_json")));

  const orgs = table(["organisation", "acronym", "type", "country"],
    r.organisations.map((o) => [o.name, o.acronym || "", termLabel(vocabs, "organisation_type", o.type), o.country]));

  const overview = section("usecase.overview",
    h("p", { class: "lede" }, r.summary),
    r.description ? h("div", { class: "prose" }, paragraphs(r.description)) : null);

  const who = section("usecase.organisations", orgs, fields([
    ["partners", list(r.partners)],
    ["year_started", r.year_started],
    ["year_reported", r.year_reported],
    ["lifecycle_stage", termLabel(vocabs, "lifecycle_stage", r.lifecycle_stage)],
    ["stage_as_reported", r.stage_as_reported],
    ["scope", termLabel(vocabs, "scope", r.scope)],
  ]));

  const classification = section("usecase.classification", fields([
    ["gsbpm", codeLinks("gsbpm", r.gsbpm)],
    ["gamso", codeLinks("gamso", r.gamso)],
    ["task_types", terms("task_types", r.task_types)],
    ["genai_patterns", terms("genai_patterns", r.genai_patterns)],
    ["ai_classification", termLabel(vocabs, "ai_classification", r.ai_classification)],
  ]));

  const models = section("usecase.models",
    empty(r.models) ? null : table(["model", "provider", "version", "openness", "hosting", "role"],
      r.models.map((m) => [m.name, m.provider || "", m.version || "", termLabel(vocabs, "model_openness", m.openness),
        termLabel(vocabs, "hosting", m.hosting), termLabel(vocabs, "model_role", m.role)])),
    fields([
      ["model_openness", termLabel(vocabs, "model_openness", r.model_openness)],
      ["hosting", termLabel(vocabs, "hosting", r.hosting)],
    ]));

  const data = section("usecase.data", fields([
    ["data_inputs", r.data_inputs],
    ["data_sensitivity", termLabel(vocabs, "data_sensitivity", r.data_sensitivity)],
    ["personal_data", yesNo(r.personal_data)],
    ["human_oversight", termLabel(vocabs, "human_oversight", r.human_oversight)],
  ]));

  const ev = r.evaluation || {};
  const evaluation = section("usecase.evaluation", fields([
    ["method", ev.method],
    ["metrics", empty(ev.metrics) ? null : ev.metrics.join(", ")],
    ["baseline", ev.baseline],
    ["dataset_size", ev.dataset_size],
    ["results", ev.results],
    ["quality_dimensions", terms("quality_dimensions", r.quality_dimensions)],
  ]));

  const benefits = section("usecase.benefits",
    empty(r.benefits) ? null : table(["type", "benefit", "value"],
      r.benefits.map((b) => [termLabel(vocabs, "benefit_type", b.type), b.text,
        b.value === null || b.value === undefined ? "" : `${b.value}${b.unit ? ` ${b.unit}` : ""}`])));

  const risks = section("usecase.risks",
    empty(r.risks) ? null : table(["risk", "mitigation", "note"],
      r.risks.map((x) => [termLabel(vocabs, "risks", x.risk), x.mitigation || "", x.note || ""])));

  const lessons = section("usecase.lessons", list(r.lessons_learned));

  const code = section("usecase.code", fields([
    ["code", r.code_url ? externalLink(r.code_url) : null],
    ["code_licence", r.code_licence],
    ["contact", r.contact],
  ]));

  const sources = section("usecase.sources", h("ol", { class: "sources-list" }, r.sources.map((s) => h("li", {},
    externalLink(s.url, s.title || s.url),
    h("span", { class: "source-meta" }, " ", [s.publisher, s.date, codeLabel("source_kind", s.kind),
      t("usecase.confidence", { level: s.confidence })].filter(Boolean).join(" · "))))));

  const related = section("usecase.related", list(r.related, (rid) => h("a", { href: `/usecases/${encodeURIComponent(rid)}` }, rid)));

  const other = Object.entries(r).filter(([key, value]) => !SHOWN.has(key) && !empty(value));
  const extra = other.length ? section("usecase.other_fields", fields(other.map(([key, value]) =>
    [key, typeof value === "object" ? h("pre", {}, JSON.stringify(value, null, 2)) : String(value)]))) : null;

  const origin = (p) => [
    ["repository", h("span", {}, `${p.source} (`, externalLink(p.source_url), ")")],
    ["record_there", externalLink(p.remote_url, p.remote_id)],
    ["revision_there", p.remote_revision == null ? null : String(p.remote_revision)],
    ["licence", p.licence],
    ["harvested", formatDate(p.harvested_at)],
  ];
  const provenance = detail.provenance ? section("usecase.harvested_from",
    h("p", {}, t("usecase.read_only")),
    fields(origin(detail.provenance))) : null;
  const alsoReported = (detail.also_reported_by || []).length ? section("usecase.also_reported",
    ...detail.also_reported_by.map((p) => fields(origin(p)))) : null;

  const meta = r.record_meta || {};
  const record = section("usecase.record", fields([
    ["id", h("code", {}, r.id)],
    ["schema_version", r.schema_version],
    ["origin", codeLabel("origin", detail.origin)],
    ["created", meta.created],
    ["updated", meta.updated],
    ["curator", meta.curator],
    ["licence", meta.licence],
    ["revision_shown", t("usecase.revision_of", { n: detail.revision, latest: detail.latest_revision })],
  ]));

  const history = section("usecase.revision_history", revisions.length
    ? table(["revision", "status", "author", "submitted", "comment", "reviewed_by", "review_comment"],
      revisions.slice().reverse().map((rev) => [String(rev.number), codeLabel("record_status", rev.status), rev.author, formatDate(rev.created_at),
        rev.comment || "", rev.reviewer ? `${rev.reviewer}${rev.reviewed_at ? `, ${formatDate(rev.reviewed_at)}` : ""}` : "", rev.review_comment || ""]))
    : h("p", {}, t("usecase.no_history")));

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
    $("usecase-title").textContent = err.status === 404 ? t("usecase.not_found") : t("usecase.failed");
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
