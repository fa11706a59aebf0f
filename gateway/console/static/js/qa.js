// The QA console: try a message, edit the lexicons (allow list included) with the audit trail,
// and edit the policy with `policy check` problems at their lines and a replay preview.

import { TIER_NAMES, api, el, formatTime, highlighted, logoutButton, requireLogin, whoAmI } from "./common.js";

const me = requireLogin("qa");
const $ = (id) => document.getElementById(id);
const MODE_NAMES = { substring: "子串", word: "整词", message: "整条消息" };
const CATEGORY_NAMES = { allow: "允许列表（白名单）" };

function showError(node, error) {
  node.textContent = error ? (error.message || String(error)) : "";
  node.hidden = !error;
}

async function refreshVersion() {
  try {
    const config = await api("/api/config");
    $("version").textContent = `配置版本 ${config.version}`;
  } catch { /* the other panels report errors */ }
}

// --- try it --------------------------------------------------------------------------------

$("try-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { text: $("try-text").value, from: $("try-from").value };
  if ($("try-shop").value.trim()) body.shop = $("try-shop").value.trim();
  if ($("try-context").value.trim()) body.context = $("try-context").value.trim();
  try {
    const verdict = await api("/api/score", { method: "POST", body });
    showError($("try-error"), null);
    showVerdict(verdict);
  } catch (error) {
    showError($("try-error"), error);
    $("try-result").hidden = true;
  }
});

function showVerdict(v) {
  $("try-result").hidden = false;
  $("try-tier").replaceChildren(el("span", { class: `tier tier-${v.tier}` }, `${TIER_NAMES[v.tier] || v.tier}（${v.tier}）`));
  $("try-rule").textContent = v.rule || "—";
  $("try-reason").textContent = v.reason || "—";
  $("try-categories").textContent = v.categories.length ? v.categories.join("、") : "—";
  $("try-original").replaceChildren(...highlighted(v.text, v.matches));
  // tone for shop-side messages, intent for buyer messages: the bars the policy's rules read
  $("try-tone").replaceChildren(...(v.tone ? scoreBars(v.tone) : ["（未加载语气模型）"]));
  $("try-intent").replaceChildren(...(v.intent ? scoreBars(v.intent)
    : [v.from === "buyer" ? "（未加载意图模型）" : "（仅买家消息）"]));
  $("try-context-act").textContent = v.context
    ? `${ACT_NAMES[v.context.act] || v.context.act}（${v.context.act}）${v.context.needs_answer ? "，需要回答" : "，无需回答"}`
      + (v.context.unanswered !== undefined ? `；未回答买家的概率 ${v.context.unanswered.toFixed(2)}` : "")
    : "—";
  $("try-matches").querySelector("tbody").replaceChildren(...v.matches.map((m) => el("tr", {},
    el("td", {}, m.category), el("td", {}, m.term), el("td", {}, m.text), el("td", {}, `${m.start}–${m.end}`),
    el("td", {}, m.trace.length ? m.trace.join("；") : "原文直接命中"))));
}

const ACT_NAMES = {
  question: "提问", polar: "是非问", request: "请求", complaint: "投诉/抱怨", greeting: "打招呼",
  thanks: "感谢", goodbye: "告别", confirm: "确认", wait: "请稍等", emoji: "表情", statement: "陈述",
};

// One row per label, highest first; the winning label is marked.
function scoreBars(result) {
  const rows = Object.entries(result.scores).sort((a, b) => b[1] - a[1]);
  return rows.map(([label, p]) => el("div", { class: "tone-row", dataset: { label } },
    el("span", { style: "display:inline-block;width:90px" }, label === result.label ? `${label} ◀` : label),
    el("span", { class: "tone-bar", style: `width:${Math.round(p * 200)}px` }),
    ` ${(p * 100).toFixed(1)}%`));
}

// --- lexicon -------------------------------------------------------------------------------

let categories = [];

async function loadCategories() {
  categories = await api("/api/lexicon");
  const select = $("lexicon-category");
  const current = select.value;
  select.replaceChildren(...categories.map((c) => el("option", { value: c.category },
    `${CATEGORY_NAMES[c.category] || c.category}（${c.terms}）`)));
  if (current) select.value = current;
}

async function loadTerms() {
  const category = $("lexicon-category").value;
  if (!category) return;
  const q = $("lexicon-search").value.trim();
  const terms = await api(`/api/lexicon/${encodeURIComponent(category)}/terms${q ? `?q=${encodeURIComponent(q)}` : ""}`);
  $("lexicon-count").textContent = `${terms.length} 条`;
  $("terms").querySelector("tbody").replaceChildren(...terms.map((t) => el("tr", { dataset: { term: t.text } },
    el("td", {}, t.text), el("td", {}, String(t.severity)), el("td", {}, MODE_NAMES[t.mode] || t.mode),
    el("td", {}, t.variants), el("td", { class: "hint" }, t.source),
    el("td", {}, el("button", { type: "button", class: "danger", onclick: () => removeTerm(category, t.text) }, "删除")))));
}

async function loadAudit() {
  const entries = await api("/api/lexicon/audit?limit=50");
  $("audit").querySelector("tbody").replaceChildren(...entries.reverse().map((e) => el("tr", {},
    el("td", {}, formatTime(e.time)), el("td", {}, e.user), el("td", {}, e.action === "add" ? "添加" : "删除"),
    el("td", {}, e.category), el("td", {}, e.term),
    el("td", { class: e.result === "rejected" ? "error" : "" }, e.error ? `${e.result}：${e.error}` : e.result),
    el("td", { class: "hint" }, e.version))));
}

async function loadCandidates() {
  const rows = await api("/api/qa/false-positives/allow-candidates");
  $("allow-candidates").querySelector("tbody").replaceChildren(...rows.map((c) => el("tr", { dataset: { term: c.term } },
    el("td", {}, c.category), el("td", {}, c.term), el("td", {}, c.matched), el("td", {}, String(c.count)),
    el("td", {}, ...c.examples.map((x) => el("div", {}, x))),
    el("td", {}, el("button", { type: "button", onclick: () => proposeAllow(c) }, "加入允许列表…")))));
}

function proposeAllow(candidate) {
  $("lexicon-category").value = "allow";
  $("term-text").value = candidate.examples[0] || candidate.matched;
  $("term-text").focus();
  loadTerms().catch((error) => showError($("term-error"), error));
}

async function refreshLexicon() {
  await Promise.all([loadCategories().then(loadTerms), loadAudit(), loadCandidates(), refreshVersion()]);
}

$("lexicon-category").addEventListener("change", () => loadTerms().catch((e) => showError($("term-error"), e)));
$("lexicon-search").addEventListener("input", () => loadTerms().catch((e) => showError($("term-error"), e)));

$("term-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const category = $("lexicon-category").value;
  const body = { term: $("term-text").value };
  for (const key of ["severity", "mode", "variants"]) {
    const value = $(`term-${key}`).value;
    if (value) body[key] = key === "severity" ? Number(value) : value;
  }
  try {
    const result = await api(`/api/lexicon/${encodeURIComponent(category)}/terms`, { method: "POST", body });
    showError($("term-error"), null);
    $("term-status").hidden = false;
    $("term-status").textContent = `已添加「${body.term}」到 ${category}，已生效（版本 ${result.version}）`;
    $("term-text").value = "";
  } catch (error) {
    $("term-status").hidden = true;
    showError($("term-error"), error);
  }
  await refreshLexicon();
});

async function removeTerm(category, term) {
  try {
    const result = await api(`/api/lexicon/${encodeURIComponent(category)}/terms/${encodeURIComponent(term)}`, { method: "DELETE" });
    showError($("term-error"), null);
    $("term-status").hidden = false;
    $("term-status").textContent = `已从 ${category} 删除「${term}」，已生效（版本 ${result.version}）`;
  } catch (error) {
    $("term-status").hidden = true;
    showError($("term-error"), error);
  }
  await refreshLexicon();
}

// --- policy --------------------------------------------------------------------------------

const policyText = $("policy-text");
let badLines = new Map();

function renderGutter() {
  const lines = policyText.value.split("\n").length;
  const gutter = $("policy-gutter");
  gutter.replaceChildren(...Array.from({ length: lines }, (_, i) => {
    const problem = badLines.get(i + 1);
    return el("div", { class: problem ? "bad" : "", title: problem || undefined, dataset: { line: String(i + 1) } }, String(i + 1));
  }));
  policyText.style.height = `${Math.max(400, lines * 19.5 + 12)}px`;
}

function goToLine(line) {
  const lines = policyText.value.split("\n");
  const offset = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  policyText.focus();
  policyText.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
}

function showProblems(problems) {
  badLines = new Map();
  for (const p of problems) if (p.line && p.severity === "error") badLines.set(p.line, p.message);
  $("policy-problems").replaceChildren(...problems.map((p) => el("li", {
    class: p.severity, dataset: { line: String(p.line || "") },
    onclick: () => p.line && goToLine(p.line),
  }, `${p.line ? `第 ${p.line} 行${p.column ? `第 ${p.column} 列` : ""}：` : ""}${p.severity === "error" ? "错误" : "警告"}：${p.message}`)));
  renderGutter();
}

async function checkPolicy() {
  const result = await api("/api/policy/check", { method: "POST", body: { policy: policyText.value } });
  showProblems(result.problems);
  $("policy-status").textContent = result.valid
    ? `检查通过${result.problems.length ? `（${result.problems.length} 条警告）` : ""}`
    : `有 ${result.problems.filter((p) => p.severity === "error").length} 处错误`;
  return result.valid;
}

async function replayPolicy() {
  $("policy-status").textContent = "回放中…";
  const diff = await api("/api/replay", { method: "POST", body: { policy: policyText.value, days: Number($("replay-days").value) || 7 } });
  $("replay-result").hidden = false;
  $("replay-summary").textContent = `共 ${diff.total} 条记录，${diff.changed} 条等级改变（当前 ${diff.current_version} → 候选 ${diff.candidate_version}）`;
  $("replay-tiers").querySelector("tbody").replaceChildren(...Object.entries(diff.tiers).map(([tier, n]) => el("tr", { dataset: { tier } },
    el("td", {}, TIER_NAMES[tier] || tier), el("td", {}, String(n.current)), el("td", {}, String(n.candidate)),
    el("td", {}, String(n.candidate - n.current)))));
  $("replay-moves").querySelector("tbody").replaceChildren(...diff.moves.map((m) => el("tr", {},
    el("td", {}, TIER_NAMES[m.from] || m.from), el("td", {}, TIER_NAMES[m.to] || m.to), el("td", {}, String(m.count)),
    el("td", {}, ...m.examples.map((x) => el("div", {}, x.text))))));
  $("replay-categories").querySelector("tbody").replaceChildren(...Object.entries(diff.categories).map(([c, n]) => el("tr", {},
    el("td", {}, c), el("td", {}, String(n.up)), el("td", {}, String(n.down)))));
  $("policy-status").textContent = `回放完成：${diff.changed} 条等级改变`;
}

async function applyPolicy() {
  if (!(await checkPolicy())) return;
  const result = await api("/api/policy", { method: "PUT", body: { policy: policyText.value } });
  $("policy-status").textContent = result.result === "applied" ? `已应用，版本 ${result.version}` : "与当前策略相同，未改变";
  await refreshVersion();
}

function policyAction(action) {
  return () => action().catch((error) => {
    if (error.body && Array.isArray(error.body.problems)) $("policy-status").textContent = error.message;
    else $("policy-status").textContent = `失败：${error.message}`;
  });
}

$("policy-check").addEventListener("click", policyAction(checkPolicy));
$("policy-replay").addEventListener("click", policyAction(replayPolicy));
$("policy-apply").addEventListener("click", policyAction(applyPolicy));
policyText.addEventListener("input", renderGutter);

async function loadPolicy() {
  const policy = await api("/api/policy");
  $("policy-file").textContent = policy.file;
  policyText.value = policy.text;
  renderGutter();
}

if (me) {
  $("whoami").textContent = whoAmI(me);
  $("logout").append(logoutButton());
  refreshLexicon().catch((error) => showError($("term-error"), error));
  loadPolicy().catch((error) => { $("policy-status").textContent = `失败：${error.message}`; });
}
