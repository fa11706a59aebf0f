// The supervisor dashboard: the review queue (appeals first), the interception log with
// filters and pages, a record with its context and history, reviews, charts, CSV export.

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { ROLE_NAMES, TIER_NAMES, api, el, formatTime, highlighted, logoutButton, requireLogin, whoAmI } from "./common.js";

const me = requireLogin("supervisor");
const $ = (id) => document.getElementById(id);
const OUTCOME_NAMES = {
  delivered: "已发送", held: "待修改", overridden: "坚持发送", edited: "修改后发送", blocked: "已拦截",
  acknowledged: "已确认警告", routed: "已转人工", unscored: "未审核", expired: "已过期", undelivered: "未送达",
};
const REVIEW_NAMES = { unreviewed: "未复核", confirmed: "确认违规", "false-positive": "误判" };
const SERIES_COLOURS = ["#ff5000", "#1677ff", "#1a7f37", "#8250df", "#bf8700", "#cf222e"];
const form = $("filters");
let cursors = [null]; // cursor of each page shown so far
let openRecord = null;
let chart = null;

for (const [value, name] of Object.entries(TIER_NAMES)) {
  if (value !== "none") form.elements.tier.append(el("option", { value }, name));
}
for (const [value, name] of Object.entries(OUTCOME_NAMES)) form.elements.outcome.append(el("option", { value }, name));

// The list's filters as query parameters (the same ones stats and export take).
function filterParams() {
  const params = new URLSearchParams();
  for (const name of ["tier", "category", "outcome", "shop", "agent", "text", "review"]) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  for (const name of ["since", "until"]) {
    const value = form.elements[name].value;
    if (value) params.set(name, new Date(value).toISOString());
  }
  if (form.elements.appealed.checked) params.set("appealed", "true");
  return params;
}

function showError(error) {
  $("log-error").textContent = error ? error.message : "";
  $("log-error").hidden = !error;
}

function recordRow(r, columns) {
  return el("tr", {
    class: `clickable ${r.appealed_at ? "appealed-row" : ""}`, dataset: { id: r.id },
    onclick: () => showRecord(r.id).catch(showError),
  }, ...columns(r).map((c) => el("td", {}, c)));
}

async function loadQueue() {
  const queue = await api("/api/review-queue?limit=20");
  $("queue-count").textContent = `${queue.items.length} 条`;
  $("review-queue").querySelector("tbody").replaceChildren(...queue.items.map((r) => recordRow(r, (x) => [
    formatTime(x.time), x.user, TIER_NAMES[x.tier] || x.tier, x.text, x.appealed_at ? `申诉：${x.appeal_note || "（无说明）"}` : "",
  ])));
}

async function loadPage(index) {
  const params = filterParams();
  params.set("limit", "20");
  if (cursors[index]) params.set("cursor", cursors[index]);
  const page = await api(`/api/interceptions?${params}`);
  cursors = cursors.slice(0, index + 1);
  if (page.next_cursor) cursors.push(page.next_cursor);
  $("records").querySelector("tbody").replaceChildren(...page.items.map((r) => recordRow(r, (x) => [
    formatTime(x.time), x.shop, x.user, TIER_NAMES[x.tier] || x.tier, x.categories.join("、"),
    OUTCOME_NAMES[x.outcome] || x.outcome, x.text, REVIEW_NAMES[x.review_state] || x.review_state,
  ])));
  $("page-info").textContent = `第 ${index + 1} 页，本页 ${page.items.length} 条`;
  $("next-page").disabled = !page.next_cursor;
  $("next-page").onclick = () => loadPage(index + 1).catch(showError);
  showError(null);
}

// "wants_human 97%（complaint 2%）": the winning label, then the runner-up.
function topScore(result) {
  const [first, second] = Object.entries(result.scores).sort((a, b) => b[1] - a[1]);
  const pct = ([label, p]) => `${label} ${Math.round(p * 100)}%`;
  return second ? `${pct(first)}（${pct(second)}）` : pct(first);
}

async function showRecord(id) {
  const r = await api(`/api/interceptions/${encodeURIComponent(id)}`);
  openRecord = r;
  $("record-panel").hidden = false;
  $("record-id").textContent = r.id;
  const fields = [
    ["时间", formatTime(r.time)], ["店铺", r.shop], ["发送方", `${ROLE_NAMES[r.from] || r.from} ${r.user}`],
    ["会话", r.conversation], ["等级", TIER_NAMES[r.tier] || r.tier], ["规则", r.rule || "—"],
    ["原因", r.reason || "—"], ["类别", r.categories.join("、") || "—"],
    // what the models said: the tone of a shop-side reply, the intent that routed a buyer
    ...(r.tone ? [["语气", topScore(r.tone)]] : []), ...(r.intent ? [["买家意图", topScore(r.intent)]] : []),
    ["结果", OUTCOME_NAMES[r.outcome] || r.outcome],
    ["申诉", r.appealed_at ? `${formatTime(r.appealed_at)} ${r.appeal_note || ""}` : "—"],
    ["复核", `${REVIEW_NAMES[r.review_state] || r.review_state}${r.reviewer ? `（${r.reviewer} ${r.review_note || ""}）` : ""}`],
  ];
  $("record-fields").replaceChildren(...fields.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]),
    el("dt", {}, "消息"), el("dd", { class: "original", id: "record-text" }, ...highlighted(r.text, r.matches)));
  $("record-context").replaceChildren(...r.context.map((m) => el("li", { class: `bubble ${m.from === "buyer" ? "theirs" : "mine"}` },
    el("div", { class: "meta" }, `${ROLE_NAMES[m.from] || m.from} ${m.user} · ${formatTime(m.time)}`), el("div", { class: "text" }, m.text))),
  el("li", { class: "bubble mine state-blocked" }, el("div", { class: "meta" }, "被拦截的消息"), el("div", { class: "text" }, r.text)));
  $("record-history").replaceChildren(...r.history.map((h) => el("li", {},
    `${formatTime(h.time)} ${OUTCOME_NAMES[h.outcome] || h.outcome}${h.detail ? `（${h.detail}）` : ""}`)));
  $("review-status").textContent = "";
  $("record-panel").scrollIntoView({ block: "start" });
}

async function review(state) {
  if (!openRecord) return;
  const note = $("review-note").value.trim();
  await api(`/api/interceptions/${encodeURIComponent(openRecord.id)}/review`, {
    method: "POST", body: note ? { state, note } : { state },
  });
  $("review-status").textContent = `已标记为「${REVIEW_NAMES[state]}」`;
  await Promise.all([showRecord(openRecord.id), loadQueue(), loadPage(0), loadCharts()]);
  $("review-status").textContent = `已标记为「${REVIEW_NAMES[state]}」`;
}

// --- charts --------------------------------------------------------------------------------

function bars(node, counts, names = {}) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 10);
  const top = Math.max(1, ...rows.map(([, n]) => n));
  node.replaceChildren(...rows.flatMap(([key, n]) => [
    el("span", { class: "bar-label", dataset: { key } }, names[key] || key),
    el("span", {}, el("span", { class: "bar", style: `display:block;width:${Math.max(2, (n / top) * 100)}%` })),
    el("span", { class: "bar-value", dataset: { key } }, String(n)),
  ]));
  if (!rows.length) node.replaceChildren(el("span", { class: "hint" }, "暂无数据"));
}

function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(0)}%`;
}

async function loadCharts() {
  const params = filterParams();
  const stats = await api(`/api/stats?${params}`);
  $("stats-total").textContent = `共 ${stats.total} 条；误判 ${stats.false_positives} 条，误判率 ${percent(stats.false_positive_rate)}`;
  bars($("chart-category"), stats.by_category);
  bars($("chart-agent"), stats.by_user);
  bars($("chart-reviews"), {
    confirmed: stats.confirmed, "false-positive": stats.false_positives,
    unreviewed: stats.total - stats.confirmed - stats.false_positives,
  }, REVIEW_NAMES);
  const nudges = $("chart-nudges");
  nudges.replaceChildren(
    el("span", {}, "建议修改后坚持发送"), el("span", {}, `${stats.overridden} / ${stats.suggest_edits}`), el("span", { dataset: { key: "send-anyway" } }, percent(stats.send_anyway_rate)),
    el("span", {}, "修改后通过"), el("span", {}, `${stats.edited} / ${stats.held}`), el("span", { dataset: { key: "edited" } }, percent(stats.edit_then_pass_rate)),
    el("span", {}, "已确认警告"), el("span", {}, String(stats.acknowledged)), el("span", {}, ""),
    el("span", {}, "申诉 / 申诉成立"), el("span", {}, `${stats.appealed} / ${stats.appeals_upheld}`), el("span", {}, percent(stats.appeal_upheld_rate)));
  await timeChart(stats);
}

const DAY_S = 86400;

// Every day from the first to the last (days without interceptions count 0, not skipped).
function everyDay(days) {
  if (!days.length) return days;
  const all = [];
  for (let t = Date.parse(`${days[0]}T00:00:00Z`); t <= Date.parse(`${days[days.length - 1]}T00:00:00Z`); t += DAY_S * 1000) {
    all.push(new Date(t).toISOString().slice(0, 10));
  }
  return all;
}

// Interceptions per day, one line per tier, category or agent (the six largest).
async function timeChart(overall) {
  const by = $("series-by").value;
  const source = { tier: overall.by_tier, category: overall.by_category, agent: overall.by_user }[by];
  const keys = Object.entries(source).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k]) => k);
  const series = await Promise.all(keys.map(async (key) => {
    const params = filterParams();
    params.set(by, key);
    return (await api(`/api/stats?${params}`)).by_day;
  }));
  const days = everyDay([...new Set(series.flatMap((s) => Object.keys(s)))].sort());
  const data = [days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
                ...series.map((s) => days.map((d) => s[d] || 0))];
  const node = $("chart-time");
  if (chart) chart.destroy();
  chart = null;
  node.replaceChildren();
  if (!days.length) { node.append(el("span", { class: "hint" }, "暂无数据")); return; }
  chart = new uPlot({
    width: 520, height: 260,
    series: [{}, ...keys.map((key, i) => ({
      label: by === "tier" ? (TIER_NAMES[key] || key) : key, stroke: SERIES_COLOURS[i], width: 2,
      points: { show: true, size: 6 },
    }))],
    axes: [{}, { label: "条数" }],
    // a day either side, so one day of data is not stretched over years
    scales: { x: { time: true, range: (u, min, max) => [min - DAY_S, max + DAY_S] } },
  }, data, node);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  cursors = [null];
  Promise.all([loadPage(0), loadCharts()]).catch(showError);
});
$("first-page").addEventListener("click", () => loadPage(0).catch(showError));
$("series-by").addEventListener("change", () => loadCharts().catch(showError));
$("review-confirm").addEventListener("click", () => review("confirmed").catch(showError));
$("review-false").addEventListener("click", () => review("false-positive").catch(showError));

// CSV of the current filter: fetched with the token (a plain link could not carry it), then
// handed to the browser as a download.
$("export-csv").addEventListener("click", async () => {
  try {
    const params = filterParams();
    params.set("format", "csv");
    const response = await api(`/api/interceptions/export?${params}`, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: "interceptions.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    showError(error);
  }
});

if (me) {
  $("whoami").textContent = whoAmI(me);
  $("logout").append(logoutButton());
  Promise.all([loadQueue(), loadPage(0), loadCharts()]).catch(showError);
}
